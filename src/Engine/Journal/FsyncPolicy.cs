namespace Wallet.Engine.Journal;

/// <summary>
/// When appended bytes are forced to stable storage. Every policy survives a process crash
/// (the bytes live in the shared page cache as soon as they are stored into the mapping);
/// they differ only in what survives a machine crash / power loss. See docs/ARCHITECTURE.md §3, "Durability".
/// </summary>
public enum FsyncPolicy
{
    /// <summary>Never sync; the kernel writes pages back eventually. Power loss loses an unbounded recent suffix.</summary>
    None = 0,

    /// <summary>Sync at <see cref="Journal.Flush"/> (group commit). Power loss loses at most what was appended since the last Flush.</summary>
    Batch = 1,

    /// <summary>Sync every record before Append returns. Power loss loses nothing that Append returned for.</summary>
    Always = 2,
}
