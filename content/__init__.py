"""notnow's default coaching content, shipped as data files beside this module.

Admins copy this folder, edit the words and point ``NOTNOW_CONTENT_DIR`` at the copy.
"""
