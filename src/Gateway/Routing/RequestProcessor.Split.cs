using System.Runtime.InteropServices;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Gateway.Sessions;
using Wallet.Protocol.Sbe;

namespace Wallet.Gateway.Routing;

/// <summary>
/// Requests whose items live on several partitions. Non-linked items are independent (each has its own result), so
/// such a request is one command per partition — each partition's items in their request order — plus one saga per
/// transfer across partitions, answered as one (<see cref="SplitTable"/>). Without this, the SDK's coalesced single
/// transfers (one message for many callers) could not be sent to a node with several partitions.
/// <list type="bullet">
/// <item>A linked chain must lie in one partition and hold no transfer across partitions (it could not be atomic):
/// otherwise the request is refused whole, nothing applied.</item>
/// <item>Every partition of the request, and the cross-partition coordinator if it is needed, must be led here; else
/// the client is redirected (as for a one-partition request) and nothing is queued.</item>
/// <item>When the first part is refused nothing was taken and the client gets that answer (Busy, …). When a later part
/// is refused (its ring filled up meanwhile), the parts already taken stand and the refused items are answered
/// <see cref="ResultCode.PartitionUnavailable"/>: not applied, safe to resubmit.</item>
/// </list>
/// </summary>
internal sealed partial class RequestProcessor
{
    /// <summary>The refusal while no coordinator is wired in (the same words as <see cref="RefuseCrossPartitionTransfers.RefusalText"/>).</summary>
    private static ReadOnlySpan<byte> CrossPartitionRefusal =>
        "a transfer's debit and credit accounts live on different partitions: cross-partition transfers need the saga sequencer, not available in this release; nothing applied"u8;

    private void SubmitSplit(Session session, ushort templateId, ulong correlationId, ushort kind, int items, int itemBytes)
    {
        IRequestRouter router = context.Router!;
        ICrossPartitionTransfers cross = router.CrossPartition;
        SplitBuffers buffers = session.SplitBuffers;
        ReadOnlySpan<int> itemPartition = buffers.ItemPartition.AsSpan(0, items);
        ReadOnlySpan<byte> scratch = session.Scratch.AsSpan(0, items * itemBytes);

        if (!ChainsStayInOnePartition(kind, scratch, itemPartition))
        {
            session.SendReject(correlationId, RejectReason.InvalidField, templateId, "a linked chain cannot span partitions (its items, or a transfer in it, live on different partitions); nothing applied"u8);
            return;
        }

        // The partitions in order of first appearance (PartitionCount <= PartitionMap.MaxPartitions = 1024).
        // partSlot[p]: the position of partition p in parts, -1 while not seen.
        Span<int> partSlot = stackalloc int[router.PartitionCount];
        partSlot.Fill(-1);
        Span<int> parts = stackalloc int[Math.Min(router.PartitionCount, items)];
        int partCount = 0, crossCount = 0;
        foreach (int p in itemPartition)
        {
            if (p == SplitBuffers.CrossPartitionItem) crossCount++;
            else if (partSlot[p] < 0)
            {
                partSlot[p] = partCount;
                parts[partCount++] = p;
            }
        }

        if (crossCount > 0 && !cross.Enabled)
        {
            session.SendReject(correlationId, RejectReason.InvalidField, templateId, CrossPartitionRefusal);
            return;
        }
        // Nothing is queued unless every partition of the request (and the coordinator, if needed) is led here — or, with
        // a forwarder, by a node known to lead it; otherwise the client has its answer already.
        LeaderInfo[]? leaders = Placement(session, templateId, correlationId, router, parts[..partCount], crossCount > 0 ? cross : null, out bool answered);
        if (answered) return;

        // Forwarded parts: one request per other node, with all its items (of any of its partitions, and the
        // cross-partition transfers when it leads the coordinator). groupOf[k]: -1 here, else the node's group.
        Span<int> groupOf = stackalloc int[partCount + 1];
        groupOf.Fill(-1);
        LeaderInfo[] groups = leaders is null ? [] : GroupByNode(leaders, groupOf);
        int localParts = 0;
        for (int k = 0; k < partCount; k++)
        {
            if (groupOf[k] < 0) localParts++;
        }
        bool crossHere = crossCount > 0 && groupOf[partCount] < 0;

        // A partition with a full ring would take nothing: answer Busy for the whole request now rather than have the
        // other parts taken and this one's items answered PartitionUnavailable (that remains only for a race with
        // other producers between this check and the offer).
        for (int k = 0; k < partCount; k++)
        {
            if (groupOf[k] < 0 && !router.HasRoom(parts[k]))
            {
                session.SendBusy(correlationId);
                return;
            }
        }

        if (!session.TryAcquireInFlight())
        {
            session.SendReject(correlationId, RejectReason.TooManyInFlight, templateId, "maxInFlight requests already awaiting results"u8);
            return;
        }
        SplitTable table = context.Splits;
        SplitEntry? entry = table.TryOpen(session.Id, (long)correlationId, kind, items, localParts + groups.Length, crossHere ? crossCount : 0);
        if (entry is null)
        {
            session.ReleaseInFlight();
            session.SendBusy(correlationId);
            return;
        }
        GatewayMetrics.Requests.Add(1, GatewayMetrics.Sbe);
        GatewayMetrics.SplitRequests.Add(1);
        if (kind == QueryKind.LookupAccounts) entry.SetIds(MemoryMarshal.Cast<byte, UInt128>(scratch));

        bool anyTaken = false;
        Span<int> indexes = buffers.Indexes;
        Span<byte> payload = buffers.Payload;
        int part = 0; // the entry's part numbers, in the order parts are added
        for (int k = 0; k < partCount; k++)
        {
            if (groupOf[k] >= 0) continue;
            int p = parts[k];
            int n = 0;
            for (int i = 0; i < items; i++)
            {
                if (itemPartition[i] != p) continue;
                scratch.Slice(i * itemBytes, itemBytes).CopyTo(payload.Slice(n * itemBytes));
                indexes[n++] = i;
            }
            // Recorded before the offer: the partition may answer before Submit returns.
            entry.AddPart(part, indexes[..n]);
            SubmitStatus status = router.Submit(p, kind, part, entry.Key, payload[..(n * itemBytes)]);
            part++;
            if (status == SubmitStatus.Accepted)
            {
                anyTaken = true;
                continue;
            }
            if (!anyTaken)
            {
                table.Abandon(entry);
                session.ReleaseInFlight();
                AnswerRefused(session, templateId, correlationId, status, p);
                return;
            }
            table.NotTaken(entry, indexes[..n], ResultCode.PartitionUnavailable);
        }

        for (int g = 0; g < groups.Length; g++)
        {
            int n = 0, firstPartition = -1;
            for (int i = 0; i < items; i++)
            {
                int k = itemPartition[i] == SplitBuffers.CrossPartitionItem ? partCount : partSlot[itemPartition[i]];
                if (groupOf[k] != g) continue;
                scratch.Slice(i * itemBytes, itemBytes).CopyTo(payload.Slice(n * itemBytes));
                indexes[n++] = i;
                if (firstPartition < 0) firstPartition = k < partCount ? parts[k] : router.PartitionOf(MemoryMarshal.Cast<byte, Transfer>(scratch)[i].DebitAccountId);
            }
            entry.AddPart(part, indexes[..n]);
            var completion = new SplitForwardCompletion(table, entry, entry.Key, part, firstPartition);
            part++;
            if (router.Forwarder!.TryForward(in groups[g], kind, payload[..(n * itemBytes)], n, completion))
            {
                anyTaken = true;
                GatewayMetrics.ForwardedRequests.Add(1);
                continue;
            }
            if (!anyTaken)
            {
                table.Abandon(entry);
                session.ReleaseInFlight();
                session.SendBusy(correlationId);
                return;
            }
            table.NotTaken(entry, indexes[..n], ResultCode.PartitionUnavailable);
        }
        if (!crossHere)
        {
            table.Seal(entry);
            return;
        }

        if (crossCount > 1)
        {
            // Several: one offer for all (one queue claim, one wake-up of the coordinator), all or none.
            Span<Transfer> batch = MemoryMarshal.Cast<byte, Transfer>(payload)[..crossCount];
            ReadOnlySpan<Transfer> all = MemoryMarshal.Cast<byte, Transfer>(scratch);
            int n = 0;
            for (int i = 0; i < items; i++)
            {
                if (itemPartition[i] != SplitBuffers.CrossPartitionItem) continue;
                batch[n] = all[i];
                indexes[n++] = i;
            }
            entry.SetCrossItems(indexes[..n]);
            CrossPartitionSubmit status = cross.TrySubmit(batch, (long)correlationId, new SplitCrossBatchCompletion(table, entry, entry.Key));
            if (status == CrossPartitionSubmit.Accepted)
            {
                table.Seal(entry);
                return;
            }
            if (status != CrossPartitionSubmit.Unsupported)
            {
                if (!anyTaken)
                {
                    table.Abandon(entry);
                    session.ReleaseInFlight();
                    AnswerCrossRefused(session, templateId, correlationId, status, cross);
                    return;
                }
                for (int k = 0; k < n; k++) table.NotTaken(entry, indexes.Slice(k, 1), ResultCode.PartitionUnavailable);
                table.Seal(entry);
                return;
            }
            // Unsupported: the seam takes them one at a time (below).
        }
        if (crossCount > 0)
        {
            ReadOnlySpan<Transfer> transfers = MemoryMarshal.Cast<byte, Transfer>(scratch);
            for (int i = 0; i < items; i++)
            {
                if (itemPartition[i] != SplitBuffers.CrossPartitionItem) continue;
                var completion = new SplitCrossCompletion(table, entry, entry.Key, i);
                CrossPartitionSubmit status = cross.TrySubmit(in transfers[i], (long)correlationId, completion);
                if (status == CrossPartitionSubmit.Accepted)
                {
                    anyTaken = true;
                    continue;
                }
                if (!anyTaken)
                {
                    // Only cross-partition items so far, the first refused: nothing taken, the whole request answers.
                    table.Abandon(entry);
                    session.ReleaseInFlight();
                    AnswerCrossRefused(session, templateId, correlationId, status, cross);
                    return;
                }
                indexes[0] = i;
                table.NotTaken(entry, indexes[..1], ResultCode.PartitionUnavailable);
            }
        }
        table.Seal(entry);
    }

    /// <summary>
    /// Who takes each part of a split request: null when this node leads every partition of it (and the coordinator when
    /// it holds cross-partition transfers) — serve it here. Otherwise, without forwarding (no forwarder, or the session
    /// is itself a peer gateway's: a forwarded request is never forwarded again): all led by one other node → Redirect
    /// there; some leader unknown (an election) → Busy/NotLeader; led by different nodes → refused, since a Redirect
    /// would only send the client back and forth. With forwarding (docs/gateway.md, "Forwarding between nodes"): an
    /// unknown leader still answers Busy/NotLeader; a request all led by one other node that leads everything (this
    /// cluster's leaderships are not spread) is redirected there, where the client then stays; anything else is served
    /// here and forwarded — the returned array holds each part's leader (index parts.Length: the coordinator's).
    /// <paramref name="answered"/> is true when the client has had its answer.
    /// </summary>
    private LeaderInfo[]? Placement(Session session, ushort templateId, ulong correlationId, IRequestRouter router, ReadOnlySpan<int> parts, ICrossPartitionTransfers? cross, out bool answered)
    {
        answered = false;
        bool local = false, unknown = false, different = false;
        LeaderInfo remote = default;
        int unknownPartition = -1;
        for (int k = 0; k <= parts.Length; k++)
        {
            if (k == parts.Length && cross is null) break;
            LeaderInfo leader = k < parts.Length ? router.LeaderOf(parts[k]) : cross!.Leader;
            if (leader.IsLocal) local = true;
            else if (!leader.IsKnownRemote)
            {
                unknown = true;
                if (k < parts.Length && unknownPartition < 0) unknownPartition = parts[k];
            }
            else if (remote.Host is null) remote = leader;
            else if (!ForwardPolicy.SameNode(remote, leader)) different = true;
        }
        bool anyRemote = remote.Host is not null;
        if (!anyRemote && !unknown) return null;
        answered = true;
        if (unknown)
        {
            // An election: the partition's answer is Busy while no leader is known (the coordinator's: the same).
            if (unknownPartition >= 0) session.SendNotLeader(correlationId, unknownPartition);
            else session.SendBusy(correlationId);
            return null;
        }
        bool forward = router.Forwarder is not null && !session.Principal!.IsPeer;
        if (!different && !local && (!forward || ForwardPolicy.OneNodeLeadsAll(router, remote)))
        {
            session.SendRedirect(correlationId, remote);
            return null;
        }
        if (!forward)
        {
            session.SendReject(correlationId, RejectReason.InvalidField, templateId, "the request's items live on partitions led by different nodes (nothing is forwarded between nodes): send one request per partition; nothing applied"u8);
            return null;
        }
        answered = false;
        var leaders = new LeaderInfo[parts.Length + 1];
        for (int k = 0; k < parts.Length; k++) leaders[k] = router.LeaderOf(parts[k]);
        leaders[parts.Length] = cross is null ? LeaderInfo.Local : cross.Leader;
        return leaders;
    }

    /// <summary>The distinct other nodes among <paramref name="leaders"/>; groupOf[k] = the group of part k (-1: here).</summary>
    private static LeaderInfo[] GroupByNode(LeaderInfo[] leaders, Span<int> groupOf)
    {
        var groups = new List<LeaderInfo>(2);
        for (int k = 0; k < leaders.Length; k++)
        {
            if (leaders[k].IsLocal) continue;
            int g = 0;
            while (g < groups.Count && !ForwardPolicy.SameNode(groups[g], leaders[k])) g++;
            if (g == groups.Count) groups.Add(leaders[k]);
            groupOf[k] = g;
        }
        return [.. groups];
    }

    /// <summary>
    /// A linked chain (items up to and including the first without the Linked flag) is one all-or-nothing unit: it can
    /// be split from the rest of the request but not over partitions, and it cannot hold a transfer across partitions.
    /// An open chain at the end of the request stays whole too (its partition answers LinkedEventChainOpen).
    /// </summary>
    private static bool ChainsStayInOnePartition(ushort kind, ReadOnlySpan<byte> scratch, ReadOnlySpan<int> itemPartition)
    {
        if (kind == (ushort)CommandKind.CreateTransfers)
        {
            ReadOnlySpan<Transfer> transfers = MemoryMarshal.Cast<byte, Transfer>(scratch);
            for (int i = 0; i < transfers.Length; i++)
            {
                if ((transfers[i].Flags & TransferFlags.Linked) == 0) continue;
                if (itemPartition[i] == SplitBuffers.CrossPartitionItem) return false;
                if (i + 1 < transfers.Length && itemPartition[i + 1] != itemPartition[i]) return false;
            }
        }
        else if (kind == (ushort)CommandKind.CreateAccounts)
        {
            ReadOnlySpan<Account> accounts = MemoryMarshal.Cast<byte, Account>(scratch);
            for (int i = 0; i + 1 < accounts.Length; i++)
            {
                if ((accounts[i].Flags & AccountFlags.Linked) != 0 && itemPartition[i + 1] != itemPartition[i]) return false;
            }
        }
        return true;
    }

    /// <summary>The answer to a request none of which the cross-partition seam took (nothing applied).</summary>
    private static void AnswerCrossRefused(Session session, ushort templateId, ulong correlationId, CrossPartitionSubmit status, ICrossPartitionTransfers cross)
    {
        switch (status)
        {
            case CrossPartitionSubmit.Busy:
                session.SendBusy(correlationId);
                break;
            case CrossPartitionSubmit.NotLeader:
                // To the coordinator's leader: that node takes cross-partition transfers, whichever partitions it leads.
                session.SendRedirect(correlationId, cross.Leader);
                break;
            case CrossPartitionSubmit.Unsupported:
                session.SendReject(correlationId, RejectReason.InvalidField, templateId, CrossPartitionRefusal);
                break;
            default:
                session.SendReject(correlationId, RejectReason.NotRunning, templateId, "the cross-partition coordinator is not running; nothing applied"u8);
                break;
        }
    }
}
