"""Building blocks of the Sapiens2 encoder, one concept per module."""
