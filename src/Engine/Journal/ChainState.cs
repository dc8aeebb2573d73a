namespace Wallet.Engine.Journal;

/// <summary>What the next record must chain to: its index, the previous checksum, term and timestamp.</summary>
internal struct ChainState
{
    public long NextIndex;
    public uint LastChecksum;
    public long LastTerm;
    public long LastTimestamp;

    public static ChainState FromSegmentHeader(in SegmentHeader h) => new()
    {
        NextIndex = h.FirstIndex,
        LastChecksum = h.ChainSeed,
        LastTerm = h.PrevTerm,
        LastTimestamp = h.PrevTimestamp,
    };
}
