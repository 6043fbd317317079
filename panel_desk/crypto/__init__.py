"""Keys, certificates, signing and verification: no database, no Qt.

One algorithm throughout: ECDSA on NIST P-256 with SHA-256 (keys.py says why). keystore.py
keeps private keys in the OS keyring or a passphrase-protected file, never in clear;
authority.py is the organisation's certificate authority; signing.py makes and checks
detached signatures; enrolment.py the one-time codes and key requests; pdf.py PAdES
signatures with pyHanko.
"""
