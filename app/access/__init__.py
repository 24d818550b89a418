"""Access: the role policy, sign-in, users and the audit log."""
