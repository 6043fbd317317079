"""`keys …`: key pairs, the hub's certificate authority, enrolment and revocation.

On the hub: `authority-init` once, `enrol-code` per person, `enrol FILE` when their request
arrives, `list`, `revoke`, `authority-export`. On a person's machine: `init`, then
`request` with the code the secretariat gave them out of band, and `status`.

Where no secure keyring exists a key is never kept in clear: the commands say so and take
`--passphrase-file FILE` or `--ask-passphrase` (cli/passphrase.py) to keep it in a
passphrase-protected file instead.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from panel_desk.cli.common import Commands, actor, database, print_json
from panel_desk.cli.passphrase import add_passphrase_options, new_passphrase, passphrase_from
from panel_desk.errors import BadInput
from panel_desk.services import enrolment, key_views, keys
from panel_desk.services.keys import MINIMUM_PASSPHRASE, short_fingerprint

REQUEST_SUFFIX = ".pdenrol"


def _fallback_hint(exc: keys.NoSecureKeyring, command: str) -> BadInput:
    return BadInput(
        exc.source,
        f"{exc.problem}. To keep it in a passphrase-protected file instead (at least "
        f"{MINIMUM_PASSPHRASE} characters), run: {command} --ask-passphrase "
        "(or --passphrase-file FILE)",
    )


def _person(args: argparse.Namespace) -> str:
    email = getattr(args, "as_email", None)
    if not email:
        raise BadInput("--as", "say whose key this is: --as EMAIL")
    return email.strip().lower()


# ---------------------------------------------------------------------------------------
# A person's machine.


def cmd_init(args: argparse.Namespace) -> int:
    email = _person(args)
    label = f"the private key of {email}"
    try:
        made = keys.create_personal_key(
            email, passphrase=new_passphrase(args, label), replace=args.replace
        )
    except keys.NoSecureKeyring as exc:
        raise _fallback_hint(exc, f"panel-desk keys init --as {email}") from None
    shown = short_fingerprint(made.fingerprint) if made.fingerprint else "(locked in its file)"
    if made.created:
        print(f"{email}: new key pair (ECDSA P-256), fingerprint {shown}")
        print(f"private key kept in {made.kept_in}")
    else:
        print(f"{email} already has a key pair here, fingerprint {shown}, kept in {made.kept_in}")
        print("(--replace makes a new one, which must then be enrolled again)")
    if args.enrol:
        db = database(args)
        done = db.run(
            enrolment.enrol_on_hub,
            email,
            actor(args, db),
            passphrase=passphrase_from(args, label),
            authority_passphrase=passphrase_from(args, "the authority's key", authority=True),
        )
        _print_enrolled(done)
    elif made.created:
        print(
            "next: ask the secretariat for an enrolment code, then run "
            f"panel-desk keys request --as {email} --code CODE --out FILE{REQUEST_SUFFIX}"
        )
    return 0


def cmd_request(args: argparse.Namespace) -> int:
    email = _person(args)
    data = enrolment.make_request(
        email, args.code, passphrase=passphrase_from(args, f"the private key of {email}")
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    print(f"enrolment request for {email} written to {out}")
    print("send it to the secretariat; it holds your public key only, never the private one")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    email = _person(args)
    choice = keys.keyring_status()
    if choice.usable:
        how = "named by you" if choice.explicit else "chosen by keyring"
        print(f"keyring: {choice.name} ({how})")
    else:
        print(f"keyring: none usable — {choice.problem}")
    found = keys.local_key(email)
    if found is None:
        print(f"{email}: no key pair on this machine (panel-desk keys init --as {email})")
        return 0
    shown = short_fingerprint(found.fingerprint) if found.fingerprint else "(locked in its file)"
    print(f"{email}: key pair, fingerprint {shown}, kept in {found.kept_in}")
    return 0


# ---------------------------------------------------------------------------------------
# The hub.


def cmd_authority_init(args: argparse.Namespace) -> int:
    db = database(args)
    who = actor(args, db)
    try:
        made = db.run(
            keys.set_up_authority,
            args.organisation,
            who,
            passphrase=new_passphrase(args, "the certificate authority's key"),
        )
    except keys.NoSecureKeyring as exc:
        command = f'panel-desk keys authority-init --organisation "{args.organisation}"'
        raise _fallback_hint(exc, command) from None
    print(f"certificate authority for {made.organisation} set up on {db.display_name}")
    print(f"its key fingerprint {short_fingerprint(made.fingerprint)}")
    return 0


def cmd_authority_export(args: argparse.Namespace) -> int:
    pem = database(args).read(keys.authority_certificate_pem)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(pem, encoding="ascii")
    print(f"the authority's certificate written to {out} (public: share it freely)")
    return 0


def cmd_enrol_code(args: argparse.Namespace) -> int:
    db = database(args)
    issued = db.run(enrolment.issue_code, args.person, actor(args, db), valid_days=args.valid_days)
    print(f"enrolment code for {issued.name} <{issued.email}>: {issued.code}")
    print(
        f"works once, until {issued.expires_at:%Y-%m-%d %H:%M} UTC; give it to them in person "
        "or by phone, never in the e-mail that carries their packet"
    )
    print(f"they run: panel-desk keys request --as {issued.email} --code CODE --out FILE")
    return 0


def _print_enrolled(done: enrolment.Enrolled) -> None:
    fp = short_fingerprint(done.fingerprint)
    if done.already:
        print(f"{done.email} is already enrolled with this key ({fp}); nothing changed")
        return
    print(f"{done.name} <{done.email}> enrolled: key {fp}, certificate {done.serial[:16]}")
    print(f"valid until {done.valid_until:%Y-%m-%d}")
    if done.replaced:
        print(f"their previous key ({short_fingerprint(done.replaced)}) is revoked")


def cmd_enrol(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BadInput(str(path), f"cannot be read ({exc.strerror or exc})") from None
    db = database(args)
    done = db.run(
        enrolment.enrol_request,
        raw,
        str(path),
        actor(args, db),
        authority_passphrase=passphrase_from(args, "the authority's key", authority=True),
    )
    _print_enrolled(done)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    register = database(args).read(key_views.key_register)
    if args.json:
        print_json({"people": [row.as_json() for row in register]})
        return 0
    width = max((len(row.email) for row in register), default=5)
    for row in register:
        detail = ""
        if row.state == key_views.ENROLLED and row.valid_until:
            detail = f"{short_fingerprint(row.fingerprint)}  until {row.valid_until:%Y-%m-%d}"
        elif row.state in (key_views.CODE_ISSUED, key_views.CODE_EXPIRED) and row.code_expires:
            detail = f"code until {row.code_expires:%Y-%m-%d}"
        elif row.state == key_views.REVOKED and row.revoked_at:
            detail = f"on {row.revoked_at:%Y-%m-%d}: {row.revoke_reason}"
        print(f"{row.email:<{width}}  {row.state:<13}  {detail}".rstrip())
    enrolled = sum(1 for row in register if row.state == key_views.ENROLLED)
    print(f"{enrolled} of {len(register)} people enrolled")
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    db = database(args)
    revoked = db.run(enrolment.revoke, args.person, args.reason, actor(args, db))
    print(f"{args.person.strip().lower()}: key {short_fingerprint(revoked)} revoked")
    return 0


def register(commands: Commands) -> None:
    def add(name: str, handler: Callable[[argparse.Namespace], int], help: str):
        return commands.add(
            name, handler, help, person=True, group="keys", group_help="keys and certificates"
        )

    sub = add("init", cmd_init, "make this person's key pair, kept in the keyring")
    sub.add_argument("--replace", action="store_true", help="replace the key pair already here")
    sub.add_argument(
        "--enrol", action="store_true", help="and enrol it at once (on the hub's own machine)"
    )
    add_passphrase_options(sub, authority=True)

    sub = add("request", cmd_request, "write an enrolment request, with the code given to you")
    sub.add_argument("--code", required=True, help="the one-time code from the secretariat")
    sub.add_argument("--out", required=True, metavar=f"FILE{REQUEST_SUFFIX}")
    add_passphrase_options(sub)

    add("status", cmd_status, "where this person's key is kept on this machine")

    sub = add("authority-init", cmd_authority_init, "set up the hub's certificate authority")
    sub.add_argument("--organisation", required=True, help="the organisation it speaks for")
    add_passphrase_options(sub)

    sub = add("authority-export", cmd_authority_export, "write the authority's certificate")
    sub.add_argument("--out", required=True, metavar="FILE.pem")

    sub = add("enrol-code", cmd_enrol_code, "issue a one-time enrolment code for a person")
    sub.add_argument("--person", required=True, metavar="EMAIL")
    sub.add_argument(
        "--valid-days", type=int, default=enrolment.CODE_DAYS, help="days the code works"
    )

    sub = add("enrol", cmd_enrol, "check an enrolment request and issue its certificate")
    sub.add_argument("file", metavar=f"FILE{REQUEST_SUFFIX}")
    add_passphrase_options(sub, authority=True)

    sub = add("list", cmd_list, "everyone on the roster, with the state of their key")
    sub.add_argument("--json", action="store_true")

    sub = add("revoke", cmd_revoke, "revoke the key enrolled for a person")
    sub.add_argument("--person", required=True, metavar="EMAIL")
    sub.add_argument("--reason", required=True, help="why (it goes on the record)")
