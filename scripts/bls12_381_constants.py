#!/usr/bin/env python3
"""Derives the BLS12-381 constants hard-coded in src/crypto/bls12_381_*.c.

Prints them as C initialisers (6 little-endian 64-bit limbs per Fp element,
Montgomery form unless noted) so that every magic number in the C sources can
be re-derived from p, r and the curve parameter x. Run: python3 this_file.
Nothing here is needed at build time.
"""
P = 0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab
R_ORDER = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001
X = -0xd201000000010000          # the BLS parameter (negative)
MONT = 1 << 384

assert R_ORDER == X**4 - X**2 + 1
assert P == (X - 1)**2 * R_ORDER // 3 + X

# ---- Fp2 = Fp[u]/(u^2+1) as pairs, just enough to derive constants --------
def f2mul(a, b):
    return ((a[0]*b[0] - a[1]*b[1]) % P, (a[0]*b[1] + a[1]*b[0]) % P)

def f2pow(a, e):
    r = (1, 0)
    while e:
        if e & 1:
            r = f2mul(r, a)
        a = f2mul(a, a)
        e >>= 1
    return r

def f2inv(a):
    n = pow(a[0]*a[0] + a[1]*a[1], P - 2, P)
    return (a[0]*n % P, -a[1]*n % P)

def limbs(v, n=6):
    return ", ".join("0x%016xULL" % ((v >> (64*i)) & (2**64 - 1)) for i in range(n))

def fp_c(v):            # Montgomery form
    return "{{%s}}" % limbs(v * MONT % P)

def fp2_c(a):
    return "{%s, %s}" % (fp_c(a[0]), fp_c(a[1]))

XI = (1, 1)             # xi = 1 + u, the sextic non-residue

print("/* p, little-endian */ {%s}" % limbs(P))
print("/* -p^-1 mod 2^64 */ 0x%016xULL" % (-pow(P, -1, 2**64) % 2**64))
print("/* R mod p (one) */ %s" % fp_c(1))
print("/* R^2 mod p (plain) */ {%s}" % limbs(MONT * MONT % P))
print("/* (p-1)/2 plain */ {%s}" % limbs((P - 1) // 2))
print("/* b = 4 */ %s" % fp_c(4))
print("/* b' = 4(1+u) */ %s" % fp2_c((4, 4)))

# Frobenius coefficients: v^p = xi^((p-1)/3) v, w^p = xi^((p-1)/6) w.
print("/* frob v^1 xi^((p-1)/3) */ %s" % fp2_c(f2pow(XI, (P - 1) // 3)))
print("/* frob v^2 xi^(2(p-1)/3) */ %s" % fp2_c(f2pow(XI, 2 * (P - 1) // 3)))
print("/* frob w xi^((p-1)/6) */ %s" % fp2_c(f2pow(XI, (P - 1) // 6)))

# psi = untwist o Frobenius o twist on E'(Fp2): (x,y) -> (conj(x) cx, conj(y) cy)
print("/* psi cx = xi^-((p-1)/3) */ %s" % fp2_c(f2inv(f2pow(XI, (P - 1) // 3))))
print("/* psi cy = xi^-((p-1)/2) */ %s" % fp2_c(f2inv(f2pow(XI, (P - 1) // 2))))

# G1 endomorphism phi(x,y) = (beta x, y): beta is a cube root of unity. The one
# for which phi acts as [-x^2] on G1 is chosen by checking on the generator.
G1X = 0x17f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb
G1Y = 0x08b3f481e3aaa0f1a09e30ed741d8ae4fcf5e095d5d00af600db18cb2c04b3edd03cc744a2888ae40caa232946c5e7e1
assert (G1Y**2 - G1X**3 - 4) % P == 0

def ec_add(a, b):
    if a is None: return b
    if b is None: return a
    if a[0] == b[0]:
        if (a[1] + b[1]) % P == 0: return None
        lam = 3 * a[0]**2 * pow(2 * a[1], P - 2, P) % P
    else:
        lam = (b[1] - a[1]) * pow(b[0] - a[0], P - 2, P) % P
    x3 = (lam * lam - a[0] - b[0]) % P
    return (x3, (lam * (a[0] - x3) - a[1]) % P)

def ec_mul(pt, k):
    acc = None
    if k < 0:
        pt, k = (pt[0], -pt[1] % P), -k
    while k:
        if k & 1: acc = ec_add(acc, pt)
        pt = ec_add(pt, pt)
        k >>= 1
    return acc

g = 2
while pow(g, (P - 1) // 3, P) == 1:
    g += 1
target = ec_mul((G1X, G1Y), (-X * X) % R_ORDER)   # [-x^2]G
for beta in (pow(g, (P - 1) // 3, P), pow(g, 2 * (P - 1) // 3, P)):
    if (beta * G1X % P, G1Y) == target:
        print("/* beta: phi = [-x^2] on G1 */ %s" % fp_c(beta))

# GLV split for G1: k = k0 + k1 x^2 with x^2 as a 128-bit constant.
print("/* x^2 */ {%s}" % limbs(X * X, 2))
print("/* h1 (G1 cofactor) */ 0x%x" % ((X - 1)**2 // 3))

# Generators (from the IETF pairing-friendly-curves draft / ZCash spec).
print("/* G1 x */ %s" % fp_c(G1X))
print("/* G1 y */ %s" % fp_c(G1Y))
G2X = (0x024aa2b2f08f0a91260805272dc51051c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb8,
       0x13e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d055d042b7e)
G2Y = (0x0ce5d527727d6e118cc9cdc6da2e351aadfd9baa8cbdd3a76d429a695160d12c923ac9cc3baca289e193548608b82801,
       0x0606c4a02ea734cc32acd2b02bc28b99cb3e287e85a763af267492ab572e99ab3f370d275cec1da1aaa9075ff05f79be)
lhs = f2mul(G2Y, G2Y)
rhs = f2mul(f2mul(G2X, G2X), G2X)
assert lhs == ((rhs[0] + 4) % P, (rhs[1] + 4) % P)
print("/* G2 x */ %s" % fp2_c(G2X))
print("/* G2 y */ %s" % fp2_c(G2Y))
