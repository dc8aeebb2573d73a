namespace Wallet.Engine.Journal;

/// <summary>How much of a journal <see cref="Journal.Open"/> and <see cref="Journal.OpenReadOnly"/> read before returning.</summary>
public enum JournalOpenValidation
{
    /// <summary>
    /// Every record of every segment: CRC, chain, index continuity, timestamps, zero tails. The open reads the whole
    /// journal; a bad record anywhere fails it (or, with <see cref="JournalOptions.Repair"/>, cuts the journal there).
    /// </summary>
    AllRecords = 0,

    /// <summary>
    /// Every segment's header and file name, and every record of the last segment (where a crash can leave a torn
    /// tail, which is cut as usual). The records of sealed segments are checked when they are read — every reader checks
    /// CRC, chain, index, timestamps, segment links and zero tails of what it passes — so a recovery or replay checks
    /// exactly the records it applies, once, instead of reading the whole journal twice. A bad record in a sealed
    /// segment no reader reaches (e.g. before the snapshot a restart starts from) is found by
    /// <see cref="Journal.Verify"/> (<c>wallet audit verify</c>), not by the open. <see cref="JournalOptions.OpenCheckTailBytes"/>
    /// widens the checked tail to more than the last segment; with <see cref="JournalOptions.Repair"/> only what the open
    /// reads can be cut.
    /// </summary>
    LastSegment = 1,
}
