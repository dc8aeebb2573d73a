using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Wallet.Engine.Ledger;
using Wallet.Protocol;
using Wallet.Protocol.Sbe;

namespace Wallet.Client.Tests;

/// <summary>
/// A gateway stand-in that allocates nothing per request, so a test can measure the client's allocations
/// process-wide: one dedicated thread, blocking socket calls, fixed buffers. It accepts any logon, answers every
/// CreateTransfers with one CreateResults entry per item — <see cref="ResultCode.Ok"/>, or
/// <see cref="ResultCode.ExceedsCredits"/> for an odd amount, so results carry information — and sends Heartbeat
/// when idle. One session at a time; 127.0.0.1, ephemeral port.
/// </summary>
internal sealed class QuietGateway : IDisposable
{
    private const int BufferBytes = 1 << 20;
    private const int IdlePollMs = 200;
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly Thread _thread;
    private readonly byte[] _in = new byte[BufferBytes];
    private readonly byte[] _out = new byte[BufferBytes];
    private volatile bool _stopping;
    private volatile Socket? _session;
    private long _requests;

    public QuietGateway()
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(4);
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        _thread = new Thread(Run) { IsBackground = true, Name = "quiet-gateway" };
        _thread.Start();
    }

    public int Port { get; }

    /// <summary>CreateTransfers messages answered.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>The log index every CreateResults of this gateway carries (what a receipt must report).</summary>
    public const long LogIndex = 41;

    public static ResultCode ExpectedCode(long amount) => (amount & 1) == 1 ? ResultCode.ExceedsCredits : ResultCode.Ok;

    private void Run()
    {
        while (!_stopping)
        {
            Socket session;
            try
            {
                session = _listener.Accept();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }
            _session = session;
            try
            {
                Serve(session);
            }
#pragma warning disable CA1031 // a test double's thread must never crash the test host
            catch (Exception)
#pragma warning restore CA1031
            {
                // Session over (closed by either side, or a frame we do not serve).
            }
            finally
            {
                session.Dispose();
            }
        }
    }

    private void Serve(Socket session)
    {
        session.NoDelay = true;
        int end = 0;
        while (!_stopping)
        {
            if (!session.Poll(IdlePollMs * 1000, SelectMode.SelectRead))
            {
                Send(session, Heartbeat(_out, 0));
                continue;
            }
            int read = session.Receive(_in, end, _in.Length - end, SocketFlags.None);
            if (read == 0)
            {
                return;
            }
            end += read;
            int start = 0;
            int outLength = 0;
            while (end - start >= Sofh.HeaderLength)
            {
                Sofh.TryRead(_in.AsSpan(start), out uint length, out _);
                if (end - start < length)
                {
                    break;
                }
                outLength += Answer(_in.AsSpan(start + Sofh.HeaderLength, (int)length - Sofh.HeaderLength), _out.AsSpan(outLength));
                start += (int)length;
            }
            if (outLength > 0)
            {
                Send(session, outLength);
            }
            Buffer.BlockCopy(_in, start, _in, 0, end - start);
            end -= start;
        }
    }

    private void Send(Socket session, int length)
    {
        int sent = 0;
        while (sent < length)
        {
            sent += session.Send(_out, sent, length - sent, SocketFlags.None);
        }
    }

    /// <summary>Encodes the answer to one frame at <paramref name="output"/>; its length (0 for none).</summary>
    private int Answer(ReadOnlySpan<byte> sbe, Span<byte> output)
    {
        ushort template = new MessageHeaderDecoder(sbe, 0).TemplateId;
        if (template is HeartbeatDecoder.TemplateId)
        {
            return 0;
        }
        if (template is LogoutDecoder.TemplateId)
        {
            throw new InvalidOperationException("logout: session over");
        }
        ulong correlationId = BinaryPrimitives.ReadUInt64LittleEndian(sbe[ProtocolSchema.MessageHeaderLength..]);
        switch (template)
        {
            case LogonDecoder.TemplateId:
            {
                var ack = LogonAckEncoder.WrapAndApplyHeader(output, Sofh.HeaderLength);
                ack.CorrelationId = correlationId;
                ack.SessionId = 1;
                ack.HeartbeatIntervalMs = 1000;
                ack.MaxInFlight = 64;
                ack.MaxFrameBytes = 1 << 18;
                ack.MaxBatchSize = 8190;
                Sofh.Write(output, ack.Limit);
                return ack.Limit;
            }
            case CreateTransfersDecoder.TemplateId:
            {
                CreateTransfersDecoder request = CreateTransfersDecoder.WrapWithHeader(sbe, 0);
                var items = request.Transfers();
                var answer = CreateResultsEncoder.WrapAndApplyHeader(output, Sofh.HeaderLength);
                answer.CorrelationId = correlationId;
                answer.LogIndex = LogIndex;
                answer.TimestampNs = 1;
                var results = answer.ResultsCount(items.Count);
                uint index = 0;
                while (items.MoveNext())
                {
                    results.Next();
                    results.ItemIndex = index++;
                    results.Code = (uint)ExpectedCode(items.Amount);
                }
                Sofh.Write(output, answer.Limit);
                Interlocked.Increment(ref _requests);
                return answer.Limit;
            }
            default:
                throw new InvalidOperationException($"template {template} is not served");
        }
    }

    private static int Heartbeat(Span<byte> output, int offset)
    {
        var m = HeartbeatEncoder.WrapAndApplyHeader(output[offset..], Sofh.HeaderLength);
        m.TimestampNs = 1;
        Sofh.Write(output[offset..], m.Limit);
        return m.Limit;
    }

    /// <summary>Resets the current session (the client sees a connection loss).</summary>
    public void DropSession()
    {
        Socket? s = _session;
        if (s is not null)
        {
            try
            {
                s.LingerState = new LingerOption(true, 0);
                s.Close();
            }
            catch (ObjectDisposedException)
            {
                // Already closed.
            }
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _listener.Dispose();
        DropSession();
        _thread.Join(TimeSpan.FromSeconds(5));
    }
}
