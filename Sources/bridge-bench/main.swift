// bridge-bench: see BenchCommand.swift.
print("bridge-bench")
