"""What people may do at the hub itself, for every hub configuration.

People use their servers (open them, send activity, make tokens for that);
they do not start, stop or delete them: no ``servers`` scope.  Only the
Notebooks Hub API's service does, so only what the API decided runs.
"""

USER_SCOPES = [
    "read:users!user",
    "read:servers!user",
    "access:servers!user",
    "users:activity!user",
    "tokens!user",
    "read:tokens!user",
]

USER_ROLE = {
    "name": "user",
    "description": "Use one's own servers; starting them is the Notebooks Hub API's",
    "scopes": USER_SCOPES,
}
