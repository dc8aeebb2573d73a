using Wallet.Engine.Ledger;

namespace Wallet.Client.Tests;

/// <summary>A client request as the fake server decoded it.</summary>
internal sealed record ReceivedRequest(ushort TemplateId, ulong CorrelationId, Transfer[] Transfers, Account[] Accounts, UInt128[] Ids, int ConnectionNumber, int Partition = -1);
