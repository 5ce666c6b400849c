"""The single HTTP endpoint of the local cloud and its request chain."""
