using Baseline;

namespace Wallet.Sbe.Generator.Tests;

/// <summary>The span-based API (no string overloads) encodes and decodes the Car without allocating.</summary>
public class AllocationTests
{
    [Fact]
    public void Encode_and_decode_with_span_accessors_allocate_nothing()
    {
        byte[] buffer = new byte[512];
        byte[] scratch = new byte[64];
        long checksum = RoundTrip(buffer, scratch); // warm-up (JIT, statics)
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            checksum += RoundTrip(buffer, scratch);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(1001L * RoundTrip(buffer, scratch), checksum);
    }

    private static long RoundTrip(byte[] buffer, byte[] scratch)
    {
        var car = CarEncoder.WrapAndApplyHeader(buffer, 0);
        car.SerialNumber = 1234;
        car.ModelYear = 2013;
        car.Code = Model.A;
        car.SetVehicleCode("abcdef"u8);
        car.Extras = OptionalExtras.SportsPack;
        EngineEncoder engine = car.Engine;
        engine.Capacity = 2000;
        var fuel = car.FuelFiguresCount(2);
        fuel.Next();
        fuel.Speed = 30;
        fuel.PutUsageDescription("Urban Cycle"u8);
        fuel.Next();
        fuel.Speed = 55;
        fuel.PutUsageDescription("Combined"u8);
        var perf = car.PerformanceFiguresCount(1);
        perf.Next();
        perf.OctaneRating = 95;
        var acc = perf.AccelerationCount(1);
        acc.Next();
        acc.Mph = 30;
        car.PutManufacturer("Honda"u8);
        car.PutModel("Civic"u8);
        car.PutActivationCode("x"u8);

        var dec = CarDecoder.WrapWithHeader(buffer, 0);
        long sum = (long)dec.SerialNumber + dec.ModelYear + dec.Engine.Capacity + dec.VehicleCodeBytes.Length;
        foreach (var f in dec.FuelFigures())
        {
            sum += f.Speed + f.GetUsageDescription(scratch);
        }

        foreach (var p in dec.PerformanceFigures())
        {
            sum += p.OctaneRating;
            foreach (var a in p.Acceleration())
            {
                sum += a.Mph;
            }
        }

        sum += dec.GetManufacturerBytes().Length + dec.GetModelBytes().Length + dec.GetActivationCodeBytes().Length;
        return sum + dec.Limit;
    }
}
