namespace Wallet.Fix.Tests.Support;

/// <summary>Bitwise CRC-32C (Castagnoli, reflected 0x82F63B78): an independent check of the store's on-disk format.</summary>
public static class TestCrc32C
{
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int i = 0; i < 8; i++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78 : crc >> 1;
        }
        return ~crc;
    }
}
