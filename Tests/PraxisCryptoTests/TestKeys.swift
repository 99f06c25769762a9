/// Fixed keys generated with the openssl command line for these tests only (never used elsewhere).
enum TestKeys {
    static let rsa2048PKCS1 = """
        -----BEGIN RSA PRIVATE KEY-----
        MIIEowIBAAKCAQEApP8RZ7AAr7EPp3q5c//fnTOkgrFckqEIqt8OU4NgN8SODTqP
        ZQL2pF9lCQEmX3N5Utv4bo2PzabnnRq/f0qO2AefM/YgnjZBx6hw1gVLxEdGcab0
        QalVS1FTy8w0bPqDc9IFADMhtWylZYKg3ejHYd+b9DN+E/X22Hr6xNBKXOgdnsr3
        b1xS0/zcxlCWEvKSrzz155A4cUGLDjhDa4X6dnH/rLR/85MXi4zVDKR8AFb4YeKk
        3L6q8XY91Z+wSZ5kAFUVqvXX5aFRq2ZTvb4r2xuY7k1mnlh4RcdaQ4bCkpXezyYN
        skGus08UaOIGW4nrQxISAzAV/oMh1Ymn/65fyQIDAQABAoIBAB3K79/e5DTVPiwh
        6SBExOIsG8m8kGhqmvfNqJbUW1iejX7egtt8tj/2eLYwRrdIENFxJlICDkQWXe6c
        kJUBx7rC35CgogGnbufIJr3CfYyeyR3HBYZgtuXPdNfREutVrcxJUT1Yvj619ESY
        2obPXEc0OwMUlDCzAmRTCnpk2PSe68gpiWM51ZC4zXB/0StYXttist+0Gg6msggO
        gJj7CySQe903FMCLyCupcHR0Jmwdh1pMOXwwfquVERj9LDcajL5wpSI3MM7L1pNh
        B16oxLxT3Vl0AzMwuAT7D3HRvmeJq/ce4D2vpoHERThwfrDpf60nK8Jr4Pw4rc7W
        quw3Eq0CgYEA1fkwfqqGn4MOZXkPNEkURpPAx204dCW+Ch0tEHaDcVbWUd2yiva1
        enQx5gKSfa5b1wRt3yAQr6j1OFbWEuy/G3x97M/Mp1UO/zEiLUHqDYRdmmVkmjMj
        iaVPEkjG9Uf2yv00rnDFbm0IeqAt3LpCV7A22gAIwDTSQVwUlYDneaUCgYEAxWdC
        yr3acrEOLTO70kQa4FITKeu9BR5KLXWqFF+siUXG4bUXqpxREeUHare+VJDAFAbR
        zfnFke27ZlWZCefvOYYFu+NY7u4ssWNLibzIwg48orvITsqT6bISbzavVZb8AIiH
        dxKLRACqXJyuZ8ijBdds8Nv3wrrMZhtVHVX+TFUCgYBQ8NWGZM1OE85jVjsJJUfV
        Ntkq10cOsKRFwSml2573RckG6N08Mf0OWFvzzS9K+aTmHlfNmpyVRk2UxUxvljzo
        kdw0s5qQBd4JbLWn9xIpkNOzrv0yU3vy+qSBnyQb7uANg2DlR+V3Uyls8aDHqXGl
        KBRnvLGSu6h5bvKeZ0eovQKBgQC2Z/px+Qi33h9paVpuqvviuDR5EhnxdtG4O/fT
        J6z4k3945KtfvV20GVvHIs4+uhqi5sJLgDct5uy5XPMzEhwdnVgDC8sLzQ2DRGty
        dP1VQ26IONiY5dvTn/YkyfUuM3vcykvSnVIOnkbNmQIXaHArX6qMzdWdHJru5ua5
        WtLGmQKBgCENn3DYyvAOp6lub1PkFja686FUVb1u8He1J13K85yAzH/cZd0qnQ1d
        q0FUX241NmWye0dGjMxWGBImXvrgztDJECl99IaHu+pBNwns6Ex2JU9h1h6xDVeG
        rKFLm7acN0yKdCPpYp4PQeKXtHYHZ6MMFU849+g7hWh4wRdzrUa/
        -----END RSA PRIVATE KEY-----
        """

    static let rsa512PKCS1 = """
        -----BEGIN RSA PRIVATE KEY-----
        MIIBOwIBAAJBAKPbtXFqvTjhZ/RfcjANSSxYQ2OKYEt9n7MTkcBTdB7ArH/UeXiu
        7BAfJN6cIb+plvF1iZhGhP2VeXp6iaTvtyECAwEAAQJBAIv/miTPJ+DDZYg7TFqV
        32EOAHW5stCNAreEDtGd++aRJjC5FyRZUYC/vYiIf6AeZ9Q7AjNV/CO66r8zyiXh
        c4kCIQDSxt3SCbWjsM48NIvsc5wRTMLrafAdZYS0GpIAIyuS+wIhAMcDynG3TKXS
        cL8TrwIryxCbxP66rSCQ5FRrl3rg1iOTAiADuj6cA03yCiNrjyZWVSkSaUAdN69m
        ZbA2Gy4v0G9p1wIgeA1TXBHEzOsLVFidY+PjFVvCFB+sPE7rTfmxYVCsHL0CIQDK
        s3OCfo5xoEgj6Y4QvaG6nBz73b+3frmFvelaeYlzRg==
        -----END RSA PRIVATE KEY-----
        """

    static let p256SEC1 = """
        -----BEGIN EC PRIVATE KEY-----
        MHcCAQEEIPwTfuWH4yQGKkGdZj8FlbbS6JR7IsYlMb15y3LMuVyEoAoGCCqGSM49
        AwEHoUQDQgAEHhfW89f/efxyTpGLXdXVdPYXP4rTIcyGN9vvW6IYur91oi27yoGx
        YnpoGjpgLQgCUd6svNMcMePG2MTX81iQLw==
        -----END EC PRIVATE KEY-----
        """

    static let p384SEC1 = """
        -----BEGIN EC PRIVATE KEY-----
        MIGkAgEBBDCLcrsHxX0yy0/Wc0hlfjBuixZgzKvzqzTMDYONefDYxjMTWpsrkGXo
        jcg9fKBd6LqgBwYFK4EEACKhZANiAAQXfngQCfKMrcYbTSWiohhlaHYhRHm+kMuv
        q75uC0N3+ZbQjVXLxJUZFLcA45yll06i0tlUt3GMhdJ0v/g8pUPb/bvdH62Jmxdb
        0kfj0uevPTfQ8YBWyqDpglRGfPgQ0tw=
        -----END EC PRIVATE KEY-----
        """
}
