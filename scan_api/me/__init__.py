"""Who am I: the calling token's role, party and checkpoints; where a shipper may ship to."""
