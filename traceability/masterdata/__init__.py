"""Master data: products, parties, territories, sales authorizations, sanctions."""
