using CliIdText = Wallet.Host.Commands.IdText;

namespace Wallet.Gateway.Tests;

/// <summary>Ids on the `wallet` command line: decimal, 0x-hex, UUID — and nothing that merely starts like one.</summary>
public sealed class CliIdTextTests
{
    [Theory]
    [InlineData("42", 42UL)]
    [InlineData("0x2a", 42UL)]
    [InlineData("0X2A", 42UL)]
    [InlineData("0xffffffffffffffff", ulong.MaxValue)]
    public void Accepted_forms(string text, ulong expected)
    {
        Assert.True(CliIdText.TryParse(text, out UInt128 id));
        Assert.Equal((UInt128)expected, id);
    }

    [Theory]
    [InlineData("0x")]
    [InlineData("0x2a\0")]       // UInt128.TryParse alone would accept the trailing NUL and read 0x2a
    [InlineData("0x2a ")]
    [InlineData("0x-1")]
    [InlineData("0x+1")]
    [InlineData("0x1ffffffffffffffffffffffffffffffff")] // 33 hex digits: more than 128 bits
    [InlineData("42\0")]
    [InlineData("-42")]
    [InlineData("")]
    public void Refused_forms(string text) => Assert.False(CliIdText.TryParse(text, out _));
}
