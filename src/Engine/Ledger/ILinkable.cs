namespace Wallet.Engine.Ledger;

/// <summary>
/// A batch item that can be linked to the next one (a chain is all-or-nothing). Implemented by the item structs
/// so the one chain-settling routine serves accounts and transfers; called through a generic constraint, so no boxing.
/// </summary>
internal interface ILinkable
{
    bool IsLinked { get; }
}
