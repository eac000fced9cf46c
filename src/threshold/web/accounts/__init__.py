"""Users, roles, permissions and their scope (local authority, school); sign-in and 2FA."""
