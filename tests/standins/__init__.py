"""Local stand-ins for the platforms notnow talks to, served over real loopback sockets."""
