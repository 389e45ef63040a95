"""The unprivileged system account each person's local servers run as.

A hub user (an e-mail address) gets one account, made the first time it is
needed.  Its name is derived, never taken as given: ``nbh-`` with up to ten
letters and digits of the address, a dash and ten hex digits of its SHA-256,
so it is short, safe for ``useradd`` and distinct per person.  The account
has no password, no login shell, and a group of its own; only accounts this
package made (their GECOS field says so) are ever used.

The home is ``HOMES_ROOT/<hub user>``: made or adopted through a descriptor
of the (root-owned) homes root, owned by the account and closed to others.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import re
import stat
import subprocess
from dataclasses import dataclass

from .errors import SpawnError

GECOS = "Notebooks Hub server account"
NOLOGIN = "/usr/sbin/nologin"
HOME_MODE = 0o700
_ROOT_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}


@dataclass(frozen=True)
class Account:
    name: str
    uid: int
    gid: int


def account_name(hub_user: str) -> str:
    """``bob@example.org`` -> ``nbh-bob-<10 hex>``."""
    local = re.sub(r"[^a-z0-9]", "", hub_user.split("@", 1)[0].lower())[:10]
    digest = hashlib.sha256(hub_user.encode("utf-8")).hexdigest()[:10]
    return f"nbh-{local}-{digest}" if local else f"nbh-{digest}"


def home_entry(hub_user: str) -> str:
    """The home's name under HOMES_ROOT: the hub user, as the API names it."""
    if not hub_user or hub_user in (".", "..") or "/" in hub_user or re.search(r"[\x00-\x1f\x7f]", hub_user):
        raise SpawnError("This hub user's name cannot be used as a home folder name")
    return hub_user


def _ours(entry: pwd.struct_passwd) -> Account:
    if entry.pw_uid == 0 or entry.pw_gecos != GECOS:
        raise SpawnError(f"The system account {entry.pw_name} exists but was not made by the Notebooks Hub: refusing to use it")
    return Account(entry.pw_name, entry.pw_uid, entry.pw_gid)


def ensure_account(hub_user: str, home: str) -> Account:
    """The person's account, made now if missing (two spawns racing: one makes it)."""
    name = account_name(hub_user)
    try:
        return _ours(pwd.getpwnam(name))
    except KeyError:
        pass
    result = subprocess.run(
        ["useradd", "--system", "--user-group", "--no-create-home", "--home-dir", home,
         "--shell", NOLOGIN, "--comment", GECOS, name],
        env=_ROOT_ENV, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        return _ours(pwd.getpwnam(name))
    except KeyError:
        reason = result.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["unknown error"]
        raise SpawnError(f"Could not create the system account for this person's servers ({reason[0]})") from None


def prepare_home(homes_root: str, hub_user: str, account: Account) -> str:
    """Make or adopt the home: owned by the account, mode 0700.  The homes
    root must be root's and closed to writes by others, so no person can
    swap their home's entry for a link; the entry is opened without
    following links and changed through that descriptor."""
    entry = home_entry(hub_user)
    root_fd = os.open(homes_root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        info = os.fstat(root_fd)
        if info.st_uid != 0 or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            raise SpawnError("HOMES_ROOT must belong to root and not be writable by others")
        try:
            os.mkdir(entry, HOME_MODE, dir_fd=root_fd)
        except FileExistsError:
            pass
        home_fd = os.open(entry, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=root_fd)
    finally:
        os.close(root_fd)
    try:
        info = os.fstat(home_fd)
        if (info.st_uid, info.st_gid) != (account.uid, account.gid):
            os.fchown(home_fd, account.uid, account.gid)
        if stat.S_IMODE(info.st_mode) != HOME_MODE:
            os.fchmod(home_fd, HOME_MODE)
    finally:
        os.close(home_fd)
    return os.path.join(homes_root, entry)
