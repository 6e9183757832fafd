// Daemon — placeholder so the target compiles; replaced by the target's real files.
