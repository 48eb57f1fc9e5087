"""Local development stand-ins for the module's AWS pieces."""
