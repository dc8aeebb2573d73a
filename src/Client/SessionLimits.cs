namespace Wallet.Client;

/// <summary>Limits in force on one connection: the minimum of the client's options and the gateway's LogonAck.</summary>
public sealed record SessionLimits(ulong SessionId, int HeartbeatIntervalMs, int MaxInFlight, int MaxFrameBytes, int MaxBatchSize)
{
    /// <summary>Items of <paramref name="entryBytes"/> each that fit in one frame and one batch.</summary>
    public int MaxItemsPerMessage(int entryBytes) => MaxItemsPerMessage(entryBytes, rootExtraBytes: 0);

    /// <summary>As <see cref="MaxItemsPerMessage(int)"/> for a message whose root block holds <paramref name="rootExtraBytes"/> more than a correlationId.</summary>
    internal int MaxItemsPerMessage(int entryBytes, int rootExtraBytes)
    {
        int byFrame = (MaxFrameBytes - FrameCodec.BatchOverheadBytes - rootExtraBytes) / entryBytes;
        return Math.Max(0, Math.Min(Math.Min(byFrame, MaxBatchSize), FrameCodec.MaxGroupCount));
    }
}
