using System.Buffers.Binary;
using Wallet.Engine.Audit;
using Wallet.Engine.ReadModel;
using Wallet.Gateway.Codec;
using Wallet.Gateway.Sessions;
using Wallet.Protocol;
using Wallet.Protocol.Sbe;

namespace Wallet.Gateway.Routing;

/// <summary>
/// GetHistory and GetBalanceAt: answered on the session's receive loop straight from the read model (a RocksDB
/// read, no partition round trip), with the same authorisation as lookups — a client may read only the accounts it
/// may debit. Every answer carries the view's position.
/// </summary>
internal static class ViewQueries
{
    public static void Answer(GatewayContext context, Session session, ushort templateId, ulong correlationId, ReadOnlySpan<byte> message)
    {
        UInt128 account = templateId == GetHistoryDecoder.TemplateId ? HistoryAccount(message) : BalanceAtAccount(message);
        // Each partition projects its own read model: the account's partition answers.
        ReadModelStore? view = context.ViewOf(account);
        if (view is null)
        {
            session.SendReject(correlationId, RejectReason.NotRunning, templateId, "this node runs without a read model"u8);
            return;
        }
        if (templateId == GetHistoryDecoder.TemplateId) History(view, session, correlationId, message);
        else BalanceAt(view, session, correlationId, message);
    }

    private static UInt128 HistoryAccount(ReadOnlySpan<byte> message)
    {
        GetHistoryDecoder.TryWrapWithHeader(message, 0, out GetHistoryDecoder request);
        return new UInt128(request.AccountId.High, request.AccountId.Low);
    }

    private static UInt128 BalanceAtAccount(ReadOnlySpan<byte> message)
    {
        GetBalanceAtDecoder.TryWrapWithHeader(message, 0, out GetBalanceAtDecoder request);
        return new UInt128(request.AccountId.High, request.AccountId.Low);
    }

    private static void History(ReadModelStore view, Session session, ulong correlationId, ReadOnlySpan<byte> message)
    {
        GetHistoryDecoder.TryWrapWithHeader(message, 0, out GetHistoryDecoder request);
        UInt128 account = new(request.AccountId.High, request.AccountId.Low);
        if (!session.Principal!.MayDebit(account))
        {
            session.SendReject(correlationId, RejectReason.Unauthorized, GetHistoryDecoder.TemplateId, "history of an account this user is not granted"u8);
            return;
        }
        int maxRows = request.MaxRows;
        long from = request.FromTimestampNs, to = request.ToTimestampNs == 0 ? long.MaxValue : request.ToTimestampNs;
        if (maxRows is < 1 or > HistoryQuery.MaxLimit || from < 0 || to < from || request.AfterIndex < 0 || request.NewestFirst > 1)
        {
            session.SendReject(correlationId, RejectReason.InvalidField, GetHistoryDecoder.TemplateId, "maxRows 1..1000, 0 <= from <= to, afterIndex >= 0, newestFirst 0|1"u8);
            return;
        }
        HistoryPage page = view.GetHistory(new HistoryQuery
        {
            AccountId = account,
            FromTimestampNs = from,
            ToTimestampNs = to,
            NewestFirst = request.NewestFirst == 1,
            Limit = maxRows,
            Cursor = request.AfterIndex == 0 ? null : ReadModelStore.FormatCursor(request.AfterIndex, request.AfterOrdinal),
        });
        session.SendAnswer(ResponseEncoder.SizeOfHistoryPage(page.Rows.Count), (correlationId, page), static (room, s) => ResponseEncoder.HistoryPage(room, s.correlationId, s.page));
    }

    private static void BalanceAt(ReadModelStore view, Session session, ulong correlationId, ReadOnlySpan<byte> message)
    {
        GetBalanceAtDecoder.TryWrapWithHeader(message, 0, out GetBalanceAtDecoder request);
        UInt128 account = new(request.AccountId.High, request.AccountId.Low);
        if (!session.Principal!.MayDebit(account))
        {
            session.SendReject(correlationId, RejectReason.Unauthorized, GetBalanceAtDecoder.TemplateId, "balance of an account this user is not granted"u8);
            return;
        }
        if (request.AtIndex < 0 || (request.AtIndex == 0 && request.AtTimestampNs <= 0))
        {
            session.SendReject(correlationId, RejectReason.InvalidField, GetBalanceAtDecoder.TemplateId, "give atIndex > 0, or atIndex = 0 and atTimestampNs > 0"u8);
            return;
        }
        ReplayTarget target = request.AtIndex > 0 ? ReplayTarget.AtIndex(request.AtIndex) : ReplayTarget.AtTime(request.AtTimestampNs);
        BalanceAt answer = view.GetBalanceAt(account, target);
        session.SendAnswer(ResponseEncoder.SizeOfBalanceAt, (correlationId, answer), static (room, s) => ResponseEncoder.BalanceAt(room, s.correlationId, s.answer));
    }
}
