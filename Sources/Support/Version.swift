/// What `ppds --version` prints: the front answers it without starting the full program.
public let ppdsVersion = "0.1.0"
