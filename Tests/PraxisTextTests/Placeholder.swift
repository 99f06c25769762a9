// Placeholder so SwiftPM accepts the target until it has tests; delete when adding the first file.
