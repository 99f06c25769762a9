print("praxis-bench: under construction")
