using System.Diagnostics.CodeAnalysis;

// Test names follow Method_Scenario_Expectation, which CA1707 (no underscores) would forbid; it targets public library APIs.
[assembly: SuppressMessage("Naming", "CA1707:Identifiers should not contain underscores", Justification = "Test naming convention", Scope = "namespaceanddescendants", Target = "~N:FalEmulator.Tests.Media")]
