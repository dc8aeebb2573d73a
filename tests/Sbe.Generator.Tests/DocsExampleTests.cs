using Baseline;

namespace Wallet.Sbe.Generator.Tests;

/// <summary>The example in docs/sbe-generator.md, kept compiling and correct.</summary>
public class DocsExampleTests
{
    [Fact]
    public void Documented_example_round_trips()
    {
        byte[] buffer = new byte[256];
        var car = CarEncoder.WrapAndApplyHeader(buffer, 0);
        car.SerialNumber = 1234;
        car.SetVehicleCode("abcdef");
        var fuel = car.FuelFiguresCount(1);
        fuel.Next();
        fuel.Speed = 30;
        fuel.PutUsageDescription("Urban Cycle");
        car.PerformanceFiguresCount(0);
        car.PutManufacturer("Honda");
        car.PutModel("Civic VTi");
        car.PutActivationCode("abcdef");
        ReadOnlySpan<byte> wire = buffer.AsSpan(0, car.Limit);

        var dec = CarDecoder.WrapWithHeader(wire, 0);
        Assert.Equal(1234UL, dec.SerialNumber);
        int entries = 0;
        foreach (var f in dec.FuelFigures())
        {
            Assert.Equal(30, f.Speed);
            Assert.Equal("Urban Cycle"u8.ToArray(), f.GetUsageDescriptionBytes().ToArray());
            entries++;
        }

        Assert.Equal(1, entries);
        dec.PerformanceFigures().Skip();
        Assert.Equal("Honda", dec.GetManufacturer());
        Assert.Equal("Civic VTi", dec.GetModel());
        Assert.Equal("abcdef", dec.GetActivationCode());
        Assert.Equal(wire.Length, dec.Limit);
    }
}
