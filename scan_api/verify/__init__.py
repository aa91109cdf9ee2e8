"""Consumer verification (POST /v1/verify): verdict, check history, loyalty points."""
