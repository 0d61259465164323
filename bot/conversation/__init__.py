"""The conversation: one turn of coaching, the flows, the menus, the person's record."""
