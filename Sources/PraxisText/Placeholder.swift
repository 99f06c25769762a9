// Placeholder so SwiftPM accepts the target until the module has sources; delete when adding the first file.
