print("praxis: under construction")
