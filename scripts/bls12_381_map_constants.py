#!/usr/bin/env python3
"""Derives and checks the constants of src/crypto/bls12_381_map.c: the
simplified SWU maps to the curves E1' and E2' isogenous to BLS12-381's G1 and
G2 curves, and the 11-isogeny and 3-isogeny back (RFC 9380 sections 6.6.2,
6.6.3 and appendix E.2/E.3, as restated in EIP-2537's field_to_curve.md).

The isogeny coefficients are specification data, copied from that document;
everything else is derived. The script checks that Z meets RFC 9380's
criteria and that each isogeny maps points of E' onto E, then prints the C
initialisers (6 little-endian 64-bit limbs, Montgomery form). Run:
python3 this_file. Nothing here is needed at build time.
"""
import random

P = 0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab
MONT = 1 << 384
X = -0xd201000000010000

# ---- Fp and Fp2 = Fp[u]/(u^2 + 1), pairs (c0, c1) -------------------------
def inv(a):
    return pow(a, P - 2, P)

def is_sq(a):
    return a % P == 0 or pow(a, (P - 1) // 2, P) == 1

def f2(a):
    return a if isinstance(a, tuple) else (a % P, 0)

def f2add(a, b):
    a, b = f2(a), f2(b)
    return ((a[0] + b[0]) % P, (a[1] + b[1]) % P)

def f2neg(a):
    a = f2(a)
    return (-a[0] % P, -a[1] % P)

def f2mul(a, b):
    a, b = f2(a), f2(b)
    return ((a[0] * b[0] - a[1] * b[1]) % P, (a[0] * b[1] + a[1] * b[0]) % P)

def f2pow(a, e):
    r = (1, 0)
    while e:
        if e & 1:
            r = f2mul(r, a)
        a = f2mul(a, a)
        e >>= 1
    return r

def f2inv(a):
    n = inv(a[0] * a[0] + a[1] * a[1])
    return (a[0] * n % P, -a[1] * n % P)

def f2is_sq(a):
    # a is a square in Fp2 iff its norm is a square in Fp
    return is_sq(a[0] * a[0] + a[1] * a[1])

# ---- C output --------------------------------------------------------------
def limbs(v, n=6, indent=""):
    ws = ["0x%016xULL" % ((v >> (64 * i)) & (2**64 - 1)) for i in range(n)]
    if n <= 3:
        return ", ".join(ws)
    return ", ".join(ws[:3]) + ",\n" + indent + ", ".join(ws[3:])

def fp_c(v, indent="      "):
    return "{{%s}}" % limbs(v % P * MONT % P, indent=indent)

def fp2_c(a, indent="      "):
    a = f2(a)
    return "{%s,\n%s %s}" % (fp_c(a[0], indent), indent[:-1], fp_c(a[1], indent))

def const(ctype, name, val, fmt, comment):
    print("/* %s */" % comment)
    print("static const %s %s =\n    %s;" % (ctype, name, fmt(val, " " * 7)))

def table(name, ctype, vals, fmt):
    print("static const %s %s[%d] = {" % (ctype, name, len(vals)))
    for v in vals:
        print("    %s," % fmt(v, " " * 7))
    print("};")

# ---- G1: E1': y^2 = x^3 + A x + B, Z = 11, 11-isogeny ---------------------
A1 = 0x144698a3b8e9433d693a02c96d4982b0ea985383ee66a8d8e8981aefd881ac98936f8da0e0f97f5cf428082d584c1d
B1 = 0x12e2908d11688030018b12e8753eee3b2016c1f0f24f4070a0b9c14fcef35ef55a23215a316ceaa5d1cc48e98e172be0
Z1 = 11
XNUM1 = [
    0x11a05f2b1e833340b809101dd99815856b303e88a2d7005ff2627b56cdb4e2c85610c2d5f2e62d6eaeac1662734649b7,
    0x17294ed3e943ab2f0588bab22147a81c7c17e75b2f6a8417f565e33c70d1e86b4838f2a6f318c356e834eef1b3cb83bb,
    0xd54005db97678ec1d1048c5d10a9a1bce032473295983e56878e501ec68e25c958c3e3d2a09729fe0179f9dac9edcb0,
    0x1778e7166fcc6db74e0609d307e55412d7f5e4656a8dbf25f1b33289f1b330835336e25ce3107193c5b388641d9b6861,
    0xe99726a3199f4436642b4b3e4118e5499db995a1257fb3f086eeb65982fac18985a286f301e77c451154ce9ac8895d9,
    0x1630c3250d7313ff01d1201bf7a74ab5db3cb17dd952799b9ed3ab9097e68f90a0870d2dcae73d19cd13c1c66f652983,
    0xd6ed6553fe44d296a3726c38ae652bfb11586264f0f8ce19008e218f9c86b2a8da25128c1052ecaddd7f225a139ed84,
    0x17b81e7701abdbe2e8743884d1117e53356de5ab275b4db1a682c62ef0f2753339b7c8f8c8f475af9ccb5618e3f0c88e,
    0x80d3cf1f9a78fc47b90b33563be990dc43b756ce79f5574a2c596c928c5d1de4fa295f296b74e956d71986a8497e317,
    0x169b1f8e1bcfa7c42e0c37515d138f22dd2ecb803a0c5c99676314baf4bb1b7fa3190b2edc0327797f241067be390c9e,
    0x10321da079ce07e272d8ec09d2565b0dfa7dccdde6787f96d50af36003b14866f69b771f8c285decca67df3f1605fb7b,
    0x6e08c248e260e70bd1e962381edee3d31d79d7e22c837bc23c0bf1bc24c6b68c24b1b80b64d391fa9c8ba2e8ba2d229,
]
XDEN1 = [  # monic: x'^10 is implicit
    0x8ca8d548cff19ae18b2e62f4bd3fa6f01d5ef4ba35b48ba9c9588617fc8ac62b558d681be343df8993cf9fa40d21b1c,
    0x12561a5deb559c4348b4711298e536367041e8ca0cf0800c0126c2588c48bf5713daa8846cb026e9e5c8276ec82b3bff,
    0xb2962fe57a3225e8137e629bff2991f6f89416f5a718cd1fca64e00b11aceacd6a3d0967c94fedcfcc239ba5cb83e19,
    0x3425581a58ae2fec83aafef7c40eb545b08243f16b1655154cca8abc28d6fd04976d5243eecf5c4130de8938dc62cd8,
    0x13a8e162022914a80a6f1d5f43e7a07dffdfc759a12062bb8d6b44e833b306da9bd29ba81f35781d539d395b3532a21e,
    0xe7355f8e4e667b955390f7f0506c6e9395735e9ce9cad4d0a43bcef24b8982f7400d24bc4228f11c02df9a29f6304a5,
    0x772caacf16936190f3e0c63e0596721570f5799af53a1894e2e073062aede9cea73b3538f0de06cec2574496ee84a3a,
    0x14a7ac2a9d64a8b230b3f5b074cf01996e7f63c21bca68a81996e1cdf9822c580fa5b9489d11e2d311f7d99bbdcc5a5e,
    0xa10ecf6ada54f825e920b3dafc7a3cce07f8d1d7161366b74100da67f39883503826692abba43704776ec3a79a1d641,
    0x95fc13ab9e92ad4476d6e3eb3a56680f682b4ee96f7d03776df533978f31c1593174e4b4b7865002d6384d168ecdd0a,
]
YNUM1 = [
    0x90d97c81ba24ee0259d1f094980dcfa11ad138e48a869522b52af6c956543d3cd0c7aee9b3ba3c2be9845719707bb33,
    0x134996a104ee5811d51036d776fb46831223e96c254f383d0f906343eb67ad34d6c56711962fa8bfe097e75a2e41c696,
    0xcc786baa966e66f4a384c86a3b49942552e2d658a31ce2c344be4b91400da7d26d521628b00523b8dfe240c72de1f6,
    0x1f86376e8981c217898751ad8746757d42aa7b90eeb791c09e4a3ec03251cf9de405aba9ec61deca6355c77b0e5f4cb,
    0x8cc03fdefe0ff135caf4fe2a21529c4195536fbe3ce50b879833fd221351adc2ee7f8dc099040a841b6daecf2e8fedb,
    0x16603fca40634b6a2211e11db8f0a6a074a7d0d4afadb7bd76505c3d3ad5544e203f6326c95a807299b23ab13633a5f0,
    0x4ab0b9bcfac1bbcb2c977d027796b3ce75bb8ca2be184cb5231413c4d634f3747a87ac2460f415ec961f8855fe9d6f2,
    0x987c8d5333ab86fde9926bd2ca6c674170a05bfe3bdd81ffd038da6c26c842642f64550fedfe935a15e4ca31870fb29,
    0x9fc4018bd96684be88c9e221e4da1bb8f3abd16679dc26c1e8b6e6a1f20cabe69d65201c78607a360370e577bdba587,
    0xe1bba7a1186bdb5223abde7ada14a23c42a0ca7915af6fe06985e7ed1e4d43b9b3f7055dd4eba6f2bafaaebca731c30,
    0x19713e47937cd1be0dfd0b8f1d43fb93cd2fcbcb6caf493fd1183e416389e61031bf3a5cce3fbafce813711ad011c132,
    0x18b46a908f36f6deb918c143fed2edcc523559b8aaf0c2462e6bfe7f911f643249d9cdf41b44d606ce07c8a4d0074d8e,
    0xb182cac101b9399d155096004f53f447aa7b12a3426b08ec02710e807b4633f06c851c1919211f20d4c04f00b971ef8,
    0x245a394ad1eca9b72fc00ae7be315dc757b3b080d4c158013e6632d3c40659cc6cf90ad1c232a6442d9d3f5db980133,
    0x5c129645e44cf1102a159f748c4a3fc5e673d81d7e86568d9ab0f5d396a7ce46ba1049b6579afb7866b1e715475224b,
    0x15e6be4e990f03ce4ea50b3b42df2eb5cb181d8f84965a3957add4fa95af01b2b665027efec01c7704b456be69c8b604,
]
YDEN1 = [  # monic: x'^15 is implicit
    0x16112c4c3a9c98b252181140fad0eae9601a6de578980be6eec3232b5be72e7a07f3688ef60c206d01479253b03663c1,
    0x1962d75c2381201e1a0cbd6c43c348b885c84ff731c4d59ca4a10356f453e01f78a4260763529e3532f6102c2e49a03d,
    0x58df3306640da276faaae7d6e8eb15778c4855551ae7f310c35a5dd279cd2eca6757cd636f96f891e2538b53dbf67f2,
    0x16b7d288798e5395f20d23bf89edb4d1d115c5dbddbcd30e123da489e726af41727364f2c28297ada8d26d98445f5416,
    0xbe0e079545f43e4b00cc912f8228ddcc6d19c9f0f69bbb0542eda0fc9dec916a20b15dc0fd2ededda39142311a5001d,
    0x8d9e5297186db2d9fb266eaac783182b70152c65550d881c5ecd87b6f0f5a6449f38db9dfa9cce202c6477faaf9b7ac,
    0x166007c08a99db2fc3ba8734ace9824b5eecfdfa8d0cf8ef5dd365bc400a0051d5fa9c01a58b1fb93d1a1399126a775c,
    0x16a3ef08be3ea7ea03bcddfabba6ff6ee5a4375efa1f4fd7feb34fd206357132b920f5b00801dee460ee415a15812ed9,
    0x1866c8ed336c61231a1be54fd1d74cc4f9fb0ce4c6af5920abc5750c4bf39b4852cfe2f7bb9248836b233d9d55535d4a,
    0x167a55cda70a6e1cea820597d94a84903216f763e13d87bb5308592e7ea7d4fbc7385ea3d529b35e346ef48bb8913f55,
    0x4d2f259eea405bd48f010a01ad2911d9c6dd039bb61a6290e591b36e636a5c871a5c29f4f83060400f8b49cba8f6aa8,
    0xaccbb67481d033ff5852c1e48c50c477f94ff8aefce42d28c0f9a88cea7913516f968986f7ebbea9684b529e2561092,
    0xad6b9514c767fe3c3613144b45f1496543346d98adf02267d5ceef9a00d9b8693000763e3b90ac11e99b138573345cc,
    0x2660400eb2e4f3b628bdd0d53cd76f2bf565b94e72927c1cb748df27942480e420517bd8714cc80d1fadc1326ed06f7,
    0xe0fa1d816ddc03e6b24255e0d7819c171c40f65e273b853324efcd6356caa205ca2f570f13497804415473a1d634b8f,
]

def horner(coeffs, x, monic, mul, add):
    acc = 1 if monic else coeffs[-1]
    rest = coeffs if monic else coeffs[:-1]
    for c in reversed(rest):
        acc = add(mul(acc, x), c)
    return acc

def iso1(x, y):
    m, a = (lambda s, t: s * t % P), (lambda s, t: (s + t) % P)
    xn, xd = horner(XNUM1, x, False, m, a), horner(XDEN1, x, True, m, a)
    yn, yd = horner(YNUM1, x, False, m, a), horner(YDEN1, x, True, m, a)
    return xn * inv(xd) % P, y * yn * inv(yd) % P

# RFC 9380 section 6.6.2 criteria for Z.
g1p = lambda x: (x**3 + A1 * x + B1) % P
assert not is_sq(Z1) and Z1 % P != P - 1
assert is_sq(g1p(B1 * inv(Z1 * A1)))
rng = random.Random(1)
for _ in range(20):
    while True:
        xp = rng.randrange(P)
        if is_sq(g1p(xp)):
            break
    yp = pow(g1p(xp), (P + 1) // 4, P)
    x, y = iso1(xp, yp)
    assert (y * y - x**3 - 4) % P == 0, "11-isogeny does not land on E1"

# ---- G2: E2': y^2 = x^3 + A x + B over Fp2, Z = -(2 + u), 3-isogeny --------
A2 = (0, 240)
B2 = (1012, 1012)
Z2 = (P - 2, P - 1)
XNUM2 = [
    (0x5c759507e8e333ebb5b7a9a47d7ed8532c52d39fd3a042a88b58423c50ae15d5c2638e343d9c71c6238aaaaaaaa97d6,
     0x5c759507e8e333ebb5b7a9a47d7ed8532c52d39fd3a042a88b58423c50ae15d5c2638e343d9c71c6238aaaaaaaa97d6),
    (0, 0x11560bf17baa99bc32126fced787c88f984f87adf7ae0c7f9a208c6b4f20a4181472aaa9cb8d555526a9ffffffffc71a),
    (0x11560bf17baa99bc32126fced787c88f984f87adf7ae0c7f9a208c6b4f20a4181472aaa9cb8d555526a9ffffffffc71e,
     0x8ab05f8bdd54cde190937e76bc3e447cc27c3d6fbd7063fcd104635a790520c0a395554e5c6aaaa9354ffffffffe38d),
    (0x171d6541fa38ccfaed6dea691f5fb614cb14b4e7f4e810aa22d6108f142b85757098e38d0f671c7188e2aaaaaaaa5ed1, 0),
]
XDEN2 = [  # monic: x'^2 is implicit
    (0, 0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaa63),
    (0xc, 0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaa9f),
]
YNUM2 = [
    (0x1530477c7ab4113b59a4c18b076d11930f7da5d4a07f649bf54439d87d27e500fc8c25ebf8c92f6812cfc71c71c6d706,
     0x1530477c7ab4113b59a4c18b076d11930f7da5d4a07f649bf54439d87d27e500fc8c25ebf8c92f6812cfc71c71c6d706),
    (0, 0x5c759507e8e333ebb5b7a9a47d7ed8532c52d39fd3a042a88b58423c50ae15d5c2638e343d9c71c6238aaaaaaaa97be),
    (0x11560bf17baa99bc32126fced787c88f984f87adf7ae0c7f9a208c6b4f20a4181472aaa9cb8d555526a9ffffffffc71c,
     0x8ab05f8bdd54cde190937e76bc3e447cc27c3d6fbd7063fcd104635a790520c0a395554e5c6aaaa9354ffffffffe38f),
    (0x124c9ad43b6cf79bfbf7043de3811ad0761b0f37a1e26286b0e977c69aa274524e79097a56dc4bd9e1b371c71c718b10, 0),
]
YDEN2 = [  # monic: x'^3 is implicit
    (0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffa8fb,
     0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffa8fb),
    (0, 0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffa9d3),
    (0x12, 0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaa99),
]

def f2sqrt(a):
    # p^2 = 9 mod 16: try a^((p^2+7)/16) times each 8th root of unity
    c = f2pow(a, (P * P + 7) // 16)
    g = (1, 1)  # a non-square; its ((p^2-1)/8)-th power is a primitive 8th root of 1
    while f2pow(g, (P * P - 1) // 2) == (1, 0):
        g = f2add(g, 1)
    w = f2pow(g, (P * P - 1) // 8)
    r = c
    for _ in range(8):
        if f2mul(r, r) == f2(a):
            return r
        r = f2mul(r, w)
    return None

def iso2(x, y):
    xn, xd = horner(XNUM2, x, False, f2mul, f2add), horner(XDEN2, x, True, f2mul, f2add)
    yn, yd = horner(YNUM2, x, False, f2mul, f2add), horner(YDEN2, x, True, f2mul, f2add)
    return f2mul(xn, f2inv(xd)), f2mul(f2mul(y, yn), f2inv(yd))

g2p = lambda x: f2add(f2add(f2pow(x, 3), f2mul(A2, x)), B2)
assert not f2is_sq(Z2) and Z2 != f2neg(1)
assert f2is_sq(g2p(f2mul(B2, f2inv(f2mul(Z2, A2)))))
for _ in range(5):
    while True:
        xp = (rng.randrange(P), rng.randrange(P))
        if f2is_sq(g2p(xp)):
            break
    yp = f2sqrt(g2p(xp))
    x, y = iso2(xp, yp)
    assert f2mul(y, y) == f2add(f2pow(x, 3), (4, 4)), "3-isogeny does not land on E2"

# ---- print -----------------------------------------------------------------
const("bls_fp", "A1", A1, fp_c, "E1': A'")
const("bls_fp", "B1", B1, fp_c, "E1': B'")
const("bls_fp", "Z1", Z1, fp_c, "Z = 11")
const("bls_fp", "MINUS_B_OVER_A1", -B1 * inv(A1), fp_c, "-B'/A'")
const("bls_fp", "B_OVER_ZA1", B1 * inv(Z1 * A1), fp_c, "B'/(Z A')")
const("bls_fp", "Z1_CUBE_SQRT", pow(Z1, 3 * (P + 1) // 4, P), fp_c,
      "Z^(3(p+1)/4): times g^((p+1)/4), a square root of Z^3 g for a non-square g")
table("ISO1_XNUM", "bls_fp", XNUM1, fp_c)
table("ISO1_XDEN", "bls_fp", XDEN1, fp_c)
table("ISO1_YNUM", "bls_fp", YNUM1, fp_c)
table("ISO1_YDEN", "bls_fp", YDEN1, fp_c)
const("bls_fp2", "A2", A2, fp2_c, "E2': A' = 240 u")
const("bls_fp2", "B2", B2, fp2_c, "E2': B' = 1012 (1 + u)")
const("bls_fp2", "Z2", Z2, fp2_c, "Z = -(2 + u)")
const("bls_fp2", "MINUS_B_OVER_A2", f2neg(f2mul(B2, f2inv(A2))), fp2_c, "-B'/A'")
const("bls_fp2", "B_OVER_ZA2", f2mul(B2, f2inv(f2mul(Z2, A2))), fp2_c, "B'/(Z A')")
table("ISO2_XNUM", "bls_fp2", XNUM2, fp2_c)
table("ISO2_XDEN", "bls_fp2", XDEN2, fp2_c)
table("ISO2_YNUM", "bls_fp2", YNUM2, fp2_c)
table("ISO2_YDEN", "bls_fp2", YDEN2, fp2_c)
print("/* R^3 mod p (plain integer), bls12_381_field.c */ {%s}" % limbs(MONT**3 % P))
