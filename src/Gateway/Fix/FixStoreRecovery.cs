namespace Wallet.Gateway.Fix;

/// <summary>What <see cref="FixSessionStore"/> found when it opened a partner's files (see docs/FIX.md, Durability).</summary>
public enum FixStoreRecovery
{
    /// <summary>No files yet: a partner's first session; both numbers start at 1.</summary>
    New = 0,

    /// <summary>The newest valid seqnums slot agrees with the messages file.</summary>
    Clean = 1,

    /// <summary>
    /// The seqnums file was valid but behind the messages file (its last writes did not reach the disk, e.g. power cut
    /// under <c>Fix:Fsync = none</c>): the next outgoing number was moved past the last stored message.
    /// </summary>
    AdvancedFromMessages = 2,

    /// <summary>
    /// The seqnums file exists but no slot passes its checksum (torn or corrupt): the next outgoing number comes from
    /// the messages file, the next expected incoming number restarts at 1 (the partner's messages are re-requested).
    /// </summary>
    SeqNumsCorrupt = 3,

    /// <summary>The seqnums file is missing or empty while the messages file holds messages: recovered as for <see cref="SeqNumsCorrupt"/>.</summary>
    SeqNumsMissing = 4,
}
