namespace Wallet.Fuzz;

/// <summary>
/// An input broke a rule a target checks (beyond "does not throw"): thrown so that AFL records the input as a crash
/// and the smoke tests fail with the rule's name.
/// </summary>
internal sealed class FuzzFinding(string rule) : Exception(rule);
