namespace Wallet.Fuzz;

/// <summary>
/// One fuzz target: consumes one input. Returns normally for every input the code handles as designed (accepted,
/// or refused with its documented rejection); anything else — an unexpected exception, a <see cref="FuzzFinding"/>
/// — is a crash.
/// </summary>
internal delegate void FuzzInput(ReadOnlySpan<byte> input);

/// <param name="Name">Command-line name (<c>Wallet.Fuzz NAME</c>).</param>
/// <param name="Description">What is fed and what is checked.</param>
/// <param name="Run">The target.</param>
/// <param name="Seeds">Valid inputs to start from (AFL's input corpus, the smoke tests' mutation seeds).</param>
/// <param name="Repair">Smoke mode only: makes a blind mutant structurally plausible again (e.g. a correct outer
/// length) so that it reaches the code behind the framing; AFL finds such values itself from coverage.</param>
internal sealed record FuzzTarget(string Name, string Description, FuzzInput Run, Func<IReadOnlyList<byte[]>> Seeds, Func<byte[], byte[]>? Repair = null);
