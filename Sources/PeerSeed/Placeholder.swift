// SeedSession: being written
