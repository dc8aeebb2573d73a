using Wallet.Engine.Ledger;

namespace Wallet.Gateway.Routing;

/// <summary>
/// The default seam: no coordinator, so every cross-partition transfer is refused whole (the gateway answers
/// <c>Reject(InvalidField, "… cross-partition transfers need the saga sequencer …")</c>; HTTP a 400 with the same text).
/// </summary>
public sealed class RefuseCrossPartitionTransfers : ICrossPartitionTransfers
{
    public static RefuseCrossPartitionTransfers Instance { get; } = new();

    /// <summary>The refusal every front end gives, word for word.</summary>
    public const string RefusalText =
        "a transfer's debit and credit accounts live on different partitions: cross-partition transfers need the saga sequencer, not available in this release; nothing applied";

    private RefuseCrossPartitionTransfers()
    {
    }

    public bool Enabled => false;

    public CrossPartitionSubmit TrySubmit(in Transfer transfer, long correlationId, ICrossPartitionCompletion completion) => CrossPartitionSubmit.Unsupported;
}
