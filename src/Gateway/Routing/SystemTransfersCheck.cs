namespace Wallet.Gateway.Routing;

/// <summary>Outcome of translating a SystemTransfers request (see <see cref="SystemTransfersTranslator"/>).</summary>
internal enum SystemTransfersCheck
{
    Ok = 0,
    /// <summary>The request's partition field is not below the router's partition count.</summary>
    PartitionOutOfRange = 1,
    /// <summary>An item names a debit or credit account that another partition owns.</summary>
    ForeignAccount = 2,
}
