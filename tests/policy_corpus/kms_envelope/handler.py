import base64
import os

import boto3

kms = boto3.client("kms")
KEY_ID = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def encrypt(plaintext: bytes) -> dict:
    key = kms.generate_data_key(KeyId=KEY_ID, KeySpec="AES_256")
    masked = bytes(a ^ b for a, b in zip(plaintext, key["Plaintext"] * 64, strict=False))
    return {"blob": base64.b64encode(key["CiphertextBlob"]).decode(), "data": masked.hex()}


def decrypt(blob: str) -> bytes:
    return kms.decrypt(CiphertextBlob=base64.b64decode(blob), KeyId=KEY_ID)["Plaintext"]


def handler(event, context):
    if event.get("op") == "decrypt":
        return {"length": len(decrypt(event["blob"]))}
    return encrypt(os.urandom(16))
