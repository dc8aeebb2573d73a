using System.Buffers.Binary;
using Wallet.Gateway.Tests.Support;
using Wallet.Protocol;
using Wallet.Protocol.Sbe;

namespace Wallet.Gateway.Tests;

/// <summary>Every kind of bad input gets its precise reason; the connection survives unless framing is lost.</summary>
public sealed class MalformedInputTests
{
    private static async Task<(ulong Correlation, RejectReason Reason)> RejectFor(RawClient c, byte[] message, ushort encoding = Sofh.SbeLittleEndian)
    {
        await c.SendMessageAsync(message, encoding);
        var r = (await c.ExpectAsync(RejectDecoder.TemplateId)).AsReject();
        return (r.CorrelationId, r.Reason);
    }

    private static byte[] WithHeader(byte[] message, ushort? blockLength = null, ushort? templateId = null, ushort? schemaId = null, ushort? version = null)
    {
        byte[] copy = (byte[])message.Clone();
        if (blockLength is { } b) BinaryPrimitives.WriteUInt16LittleEndian(copy, b);
        if (templateId is { } t) BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan(2), t);
        if (schemaId is { } s) BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan(4), s);
        if (version is { } v) BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan(6), v);
        return copy;
    }

    [Fact]
    public async Task Recoverable_malformations_are_rejected_precisely_and_the_session_goes_on()
    {
        await using GatewayFixture g = GatewayFixture.Start();
        await using RawClient c = await g.AdminAsync();
        byte[] lookup = RawClient.LookupAccounts(77, 1, 2);

        Assert.Equal(RejectReason.UnsupportedEncoding, (await RejectFor(c, lookup, Sofh.SbeBigEndian)).Reason);
        Assert.Equal(RejectReason.TruncatedMessage, (await RejectFor(c, [1, 2, 3])).Reason);
        Assert.Equal((77UL, RejectReason.WrongSchema), await RejectFor(c, WithHeader(lookup, schemaId: 1)));
        Assert.Equal((77UL, RejectReason.UnsupportedVersion), await RejectFor(c, WithHeader(lookup, version: 9)));
        Assert.Equal(RejectReason.UnknownTemplate, (await RejectFor(c, WithHeader(lookup, templateId: 99))).Reason);
        Assert.Equal(RejectReason.UnknownTemplate, (await RejectFor(c, WithHeader(lookup, templateId: CreateResultsDecoder.TemplateId))).Reason);
        // Root block announced shorter than the schema's.
        Assert.Equal(RejectReason.TruncatedMessage, (await RejectFor(c, WithHeader(lookup, blockLength: 4))).Reason);
        // Root block announced longer than the frame.
        Assert.Equal(RejectReason.TruncatedMessage, (await RejectFor(c, WithHeader(lookup, blockLength: 4000))).Reason);
        // Group claims more entries than the frame holds.
        byte[] lying = (byte[])lookup.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(lying.AsSpan(8 + 8 + 2), 50);
        Assert.Equal((77UL, RejectReason.TruncatedMessage), await RejectFor(c, lying));
        // Group entry block shorter than an Id128.
        byte[] shortEntry = (byte[])lookup.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(shortEntry.AsSpan(8 + 8), 8);
        Assert.Equal(RejectReason.TruncatedMessage, (await RejectFor(c, shortEntry)).Reason);
        // Bytes after the end of the message.
        Assert.Equal(RejectReason.MalformedFrame, (await RejectFor(c, [.. lookup, 0, 0, 0])).Reason);
        // Var data cut by the end of the frame, and var data above its 1024-byte maximum.
        byte[] logon = RawClient.Logon(5, "admin", "x");
        Assert.Equal(RejectReason.TruncatedMessage, (await RejectFor(c, logon[..^1])).Reason);
        byte[] longText = new byte[8 + 12 + 2 + 2000 + 2];
        RawClient.Logon(5, "a", "b").AsSpan(0, 20).CopyTo(longText);
        BinaryPrimitives.WriteUInt16LittleEndian(longText.AsSpan(20), 2000);
        Assert.Equal(RejectReason.InvalidField, (await RejectFor(c, longText)).Reason);

        // Still logged on and served.
        Assert.Empty(await c.LookupAccountsAsync(1));
    }

    [Fact]
    public async Task A_frame_split_into_single_bytes_is_reassembled()
    {
        await using GatewayFixture g = GatewayFixture.Start();
        await using RawClient c = await g.AdminAsync();
        byte[] message = RawClient.LookupAccounts(3, 1);
        byte[] frame = new byte[Sofh.HeaderLength + message.Length];
        Sofh.Write(frame, frame.Length);
        message.CopyTo(frame, Sofh.HeaderLength);
        foreach (byte b in frame) await c.SendRawAsync(new[] { b });
        Assert.Equal(3UL, (await c.ExpectAsync(AccountsFoundDecoder.TemplateId)).AsAccountsFound().CorrelationId);
    }

    [Theory]
    [InlineData(3u, RejectReason.MalformedFrame)]
    [InlineData(0u, RejectReason.MalformedFrame)]
    [InlineData(300_000u, RejectReason.FrameTooLarge)]
    [InlineData(uint.MaxValue, RejectReason.FrameTooLarge)]
    public async Task Unrecoverable_frame_lengths_are_rejected_and_the_connection_closed(uint length, RejectReason reason)
    {
        await using GatewayFixture g = GatewayFixture.Start();
        await using RawClient c = await g.AdminAsync();
        byte[] header = new byte[Sofh.HeaderLength];
        BinaryPrimitives.WriteUInt32BigEndian(header, length);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), Sofh.SbeLittleEndian);
        await c.SendRawAsync(header);
        var r = (await c.ExpectAsync(RejectDecoder.TemplateId)).AsReject();
        Assert.Equal(reason, r.Reason);
        var seen = new List<Frame>();
        Assert.True(await c.WaitClosedAsync(seen, TimeSpan.FromSeconds(5)));
        Assert.Contains(seen, f => f.TemplateId == LogoutDecoder.TemplateId);
    }

    [Fact]
    public async Task Random_garbage_never_harms_the_server_or_other_sessions()
    {
        await using GatewayFixture g = GatewayFixture.Start();
        await using RawClient good = await g.AdminAsync();
        await good.CreateAccountsAsync(1, 100, 101);
        var random = new Random(1234);
        for (int i = 0; i < 20; i++)
        {
            await using RawClient bad = await g.ConnectAsync();
            // Valid SOFH framing around random SBE bytes, then raw random bytes.
            byte[] body = new byte[random.Next(0, 300)];
            random.NextBytes(body);
            if (body.Length >= 6) BinaryPrimitives.WriteUInt16LittleEndian(body.AsSpan(4), ProtocolSchema.SchemaId);
            await bad.SendMessageAsync(body);
            byte[] raw = new byte[random.Next(1, 200)];
            random.NextBytes(raw);
            await bad.SendRawAsync(raw);
        }
        Assert.Equal([(0u, 0u)], (await good.CreateTransfersAsync(new TransferSpec(1, 100, 101, 1))).Results);
        Assert.Equal(Wallet.Engine.Partition.PartitionState.Running, g.Partition.State);
    }
}
