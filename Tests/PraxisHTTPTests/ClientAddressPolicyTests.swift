import PraxisHTTP
import Testing

@Suite("AddressPolicy and IPAddress")
struct ClientAddressPolicyTests {
    /// (address, allowed by publicOnly)
    static let table: [(String, Bool)] = [
        // Public IPv4.
        ("8.8.8.8", true), ("1.1.1.1", true), ("93.184.216.34", true), ("100.63.255.255", true),
        ("100.128.0.0", true), ("172.15.255.255", true), ("172.32.0.0", true), ("192.169.0.1", true),
        ("198.17.255.255", true), ("198.20.0.0", true), ("223.255.255.255", true), ("169.253.0.1", true),
        ("11.0.0.1", true), ("192.0.1.1", true), ("192.88.98.1", true),
        // Forbidden IPv4.
        ("0.0.0.0", false), ("0.1.2.3", false), ("127.0.0.1", false), ("127.255.255.254", false),
        ("10.0.0.1", false), ("10.255.255.255", false), ("172.16.0.1", false), ("172.31.255.255", false),
        ("192.168.1.1", false), ("169.254.169.254", false), ("169.254.0.1", false), ("100.64.0.1", false),
        ("100.127.255.255", false), ("224.0.0.1", false), ("239.255.255.250", false), ("240.0.0.1", false),
        ("255.255.255.255", false), ("198.18.0.1", false), ("198.19.255.255", false), ("192.0.2.1", false),
        ("198.51.100.7", false), ("203.0.113.9", false), ("192.0.0.8", false), ("192.88.99.1", false),
        // Public IPv6.
        ("2606:4700:4700::1111", true), ("2001:4860:4860::8888", true), ("2a00:1450:4001::200e", true),
        ("::ffff:8.8.8.8", true), ("64:ff9b::808:808", true), ("2002:0808:0808::1", true),
        ("2001:0:4136:e378:8000:63bf:f7f7:f7f7", true),  // Teredo: server 65.54.227.120, client 8.8.8.8
        // Forbidden IPv6.
        ("::", false), ("::1", false), ("fc00::1", false), ("fd12:3456:789a::1", false), ("fe80::1", false),
        ("febf::1", false), ("fec0::1", false), ("ff02::1", false), ("ff0e::1", false), ("2001:db8::1", false),
        ("3fff::1", false), ("2001:2::1", false), ("2001:10::1", false), ("100::1", false), ("64:ff9b:1::1", false),
        ("::ffff:127.0.0.1", false), ("::ffff:10.0.0.1", false), ("::ffff:169.254.169.254", false),
        ("::ffff:0.0.0.0", false), ("::127.0.0.1", false), ("::8.8.8.8", false), ("64:ff9b::7f00:1", false),
        ("64:ff9b::a9fe:a9fe", false), ("2002:7f00:0001::1", false), ("2002:c0a8:0101::1", false),
        ("2001:0:7f00:1::1", false),  // Teredo server 127.0.0.1
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", false),  // Teredo client ~0x80fffffe = 127.0.0.1
        ("4000::1", false), ("1::1", false),
    ]

    @Test("publicOnly classification", arguments: table)
    func classification(_ text: String, _ allowed: Bool) throws {
        let address = try #require(IPAddress(text), "\(text) should parse")
        #expect(AddressPolicy.publicOnly.allows(address) == allowed, "\(text)")
        #expect(AddressPolicy.allowAll.allows(address))
    }

    @Test func classificationHelpers() throws {
        #expect(try #require(IPAddress("127.0.0.1")).isLoopback)
        #expect(try #require(IPAddress("::1")).isLoopback)
        #expect(try #require(IPAddress("::ffff:127.0.0.1")).isLoopback)
        #expect(try #require(IPAddress("172.20.1.1")).isPrivate)
        #expect(try #require(IPAddress("fd00::1")).isPrivate)
        #expect(try #require(IPAddress("169.254.169.254")).isLinkLocal)
        #expect(try #require(IPAddress("fe80::1")).isLinkLocal)
        #expect(try #require(IPAddress("ff02::1")).isMulticast)
        #expect(try #require(IPAddress("255.255.255.255")).isBroadcast)
        #expect(try #require(IPAddress("0.0.0.0")).isUnspecified)
        #expect(try #require(IPAddress("100.64.0.1")).isSharedAddressSpace)
        #expect(try #require(IPAddress("2001:db8::1")).isDocumentation)
        #expect(try #require(IPAddress("198.18.0.1")).isBenchmarking)
        #expect(try #require(IPAddress("fec0::1")).isSiteLocal)
        #expect(try #require(IPAddress("64:ff9b::a00:1")).embeddedIPv4 == 0x0A00_0001)
        #expect(try #require(IPAddress("8.8.8.8")).isLoopback == false)
    }

    @Test func parsing() throws {
        #expect(IPAddress("192.168.0.1") == .v4(0xC0A8_0001))
        #expect(IPAddress("::1") == .v6(high: 0, low: 1))
        #expect(IPAddress("::ffff:1.2.3.4") == .v6(high: 0, low: 0xFFFF_0102_0304))
        #expect(IPAddress("2001:DB8::A")?.description == "2001:db8::a")
        #expect(IPAddress("10.0.0.1")?.description == "10.0.0.1")
        #expect(IPAddress("255.255.255.255") == .v4(0xFFFF_FFFF))
        #expect(IPAddress("0.0.0.0") == .v4(0))
        #expect(IPAddress("1.20.199.0") == .v4(0x0114_C700))
        #expect(IPAddress(bytes: [127, 0, 0, 1]) == .v4(0x7F00_0001))
        #expect(try #require(IPAddress("fe80::1")).bytes.count == 16)
        for bad in ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "0x7f.0.0.1", "127.1", "2130706433",
            "1.2.3.-4", " 1.2.3.4", "1.2.3.", ".1.2.3", "1..2.3", "1.2.3.1000", "1.2.3.256", "1.2.3.4.",
            "00.1.2.3", "1.2.3.4 ", "fe80::1%eth0", ":::", "1::2::3", "[::1]", "example.com", "12345::"]
        {
            #expect(IPAddress(bad) == nil, "\(bad) must not parse")
        }
    }

    @Test func customPolicy() throws {
        let onlyOne = AddressPolicy { $0 == .v4(0x7F00_0001) }
        #expect(onlyOne.allows(try #require(IPAddress("127.0.0.1"))))
        #expect(!onlyOne.allows(try #require(IPAddress("127.0.0.2"))))
    }
}
