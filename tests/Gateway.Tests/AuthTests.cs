using System.Text;
using Wallet.Gateway.Auth;

namespace Wallet.Gateway.Tests;

public sealed class AuthTests
{
    [Fact]
    public void Hashes_are_salted_and_verify_only_the_right_password()
    {
        string a = PasswordHasher.Hash("s3cret", PasswordHasher.MinIterations);
        string b = PasswordHasher.Hash("s3cret", PasswordHasher.MinIterations);
        Assert.NotEqual(a, b); // per-user random salt
        Assert.StartsWith("pbkdf2-sha256$1000$", a, StringComparison.Ordinal);
        Assert.True(PasswordHasher.TryParse(a, out StoredPassword stored, out _));
        Assert.True(PasswordHasher.Verify("s3cret"u8, stored));
        Assert.False(PasswordHasher.Verify("s3cret "u8, stored));
        Assert.False(PasswordHasher.Verify(ReadOnlySpan<byte>.Empty, stored));
    }

    [Theory]
    [InlineData("")]
    [InlineData("plain-text-password")]
    [InlineData("md5$1000$AAAAAAAAAAA=$AAAA")]
    [InlineData("pbkdf2-sha256$10$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("pbkdf2-sha256$1000$not base64$AAAA")]
    [InlineData("pbkdf2-sha256$1000$AAAAAAAAAAAAAAAAAAAAAA==$AAAA")]
    public void Malformed_stored_hashes_are_refused(string encoded)
    {
        Assert.False(PasswordHasher.TryParse(encoded, out _, out string error));
        Assert.NotEmpty(error);
    }

    [Fact]
    public void Grants_parse_ids_ranges_and_star()
    {
        AccountGrant g = AccountGrant.Parse(["5", "100-199", " 1000 "]);
        Assert.True(g.Contains(5) && g.Contains(100) && g.Contains(199) && g.Contains(1000));
        Assert.False(g.Contains(6) || g.Contains(200) || g.Contains(0));
        Assert.True(AccountGrant.Parse(["7", "*"]).Contains(UInt128.MaxValue));
        Assert.True(AccountGrant.Parse([]).IsEmpty);
        Assert.Throws<FormatException>(() => AccountGrant.Parse(["0"]));
        Assert.Throws<FormatException>(() => AccountGrant.Parse(["9-3"]));
        Assert.Throws<FormatException>(() => AccountGrant.Parse(["abc"]));
        Assert.Throws<FormatException>(() => AccountGrant.Parse(["-5"]));
    }

    [Fact]
    public void Directory_authenticates_and_hides_which_part_was_wrong()
    {
        var users = new UserDirectory([new UserDefinition("bob", PasswordHasher.Hash("pw", PasswordHasher.MinIterations), Role.Client, ["1-9"])]);
        UserPrincipal? bob = users.Authenticate("bob"u8, "pw"u8);
        Assert.NotNull(bob);
        Assert.True(bob.MayDebit(3));
        Assert.False(bob.MayDebit(10));
        Assert.False(bob.IsAdmin);
        Assert.Null(users.Authenticate("bob"u8, "PW"u8));
        Assert.Null(users.Authenticate("eve"u8, "pw"u8));
        Assert.Null(users.Authenticate(Encoding.UTF8.GetBytes("b\u00f6b"), "pw"u8));
    }

    [Fact]
    public void Directory_refuses_bad_definitions_naming_the_user()
    {
        var ex = Assert.Throws<ArgumentException>(() => new UserDirectory([new UserDefinition("x", "plain", Role.Admin, [])]));
        Assert.Contains("Users:x:PasswordHash", ex.Message, StringComparison.Ordinal);
        string h = PasswordHasher.Hash("pw", PasswordHasher.MinIterations);
        Assert.Throws<ArgumentException>(() => new UserDirectory([new UserDefinition("x", h, Role.Admin, []), new UserDefinition("x", h, Role.Admin, [])]));
        Assert.Contains("DebitAccounts", Assert.Throws<ArgumentException>(() => new UserDirectory([new UserDefinition("x", h, Role.Client, ["zz"])])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new UserDirectory([]));
    }
}
