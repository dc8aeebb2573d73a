namespace Wallet.Client;

/// <summary>What a pending request asks for; decides the message sent and the answer expected.</summary>
internal enum RequestKind
{
    CreateAccounts,
    CreateTransfers,
    LookupAccounts,
    LookupTransfers,
    CloseAccounts,
    GetHistory,
    GetBalanceAt,
    SystemTransfers,
    SystemCreateAccounts,
    PeerLookupTransfers,
}
