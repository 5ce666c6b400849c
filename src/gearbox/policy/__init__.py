"""IAM policies for Gearbox functions: generated from code, evaluated as AWS evaluates them."""
