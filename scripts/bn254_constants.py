#!/usr/bin/env python3
"""Derives the BN254 (alt_bn128) constants hard-coded in src/crypto/bn254_*.c.

Run it to re-check the literals: every value is printed as the C initializer
used in the sources (little-endian 64-bit limbs; field elements in Montgomery
form, i.e. multiplied by R = 2^256 mod p, unless marked "plain").
"""
p = 21888242871839275222246405745257275088696311157297823662689037894645226208583
r = 21888242871839275222246405745257275088548364400416034343698204186575808495617
u = 4965661367192848881          # BN parameter: p = 36u^4 + 36u^3 + 24u^2 + 6u + 1
R = 1 << 256
assert p == 36*u**4 + 36*u**3 + 24*u**2 + 6*u + 1
assert r == 36*u**4 + 36*u**3 + 18*u**2 + 6*u + 1


def limbs(x):
    return "{0x%016xULL, 0x%016xULL, 0x%016xULL, 0x%016xULL}" % tuple(
        (x >> (64 * i)) & (2**64 - 1) for i in range(4))


def mont(x):
    return limbs(x * R % p)


# Fp2 = Fp[i]/(i^2 + 1); tuples (re, im).
def f2mul(a, b):
    return ((a[0] * b[0] - a[1] * b[1]) % p, (a[0] * b[1] + a[1] * b[0]) % p)


def f2pow(a, e):
    acc = (1, 0)
    while e:
        if e & 1:
            acc = f2mul(acc, a)
        a = f2mul(a, a)
        e >>= 1
    return acc


def f2inv(a):
    n = pow(a[0] * a[0] + a[1] * a[1], p - 2, p)
    return (a[0] * n % p, -a[1] * n % p)


def mont2(a):
    return "{%s, %s}" % (mont(a[0]), mont(a[1]))


def naf(k):
    digits = []
    while k:
        d = (2 - k % 4) if k & 1 else 0
        digits.append(d)
        k = (k - d) // 2
    return digits


xi = (9, 1)
print("p (plain)      ", limbs(p))
print("r (plain)      ", limbs(r))
print("-p^-1 mod 2^64  0x%016xULL" % (-pow(p, -1, 2**64) % 2**64))
print("p^-1 mod 2^62   0x%016xULL" % pow(p, -1, 2**62))
print("R mod p        ", mont(1))
print("R^2 mod p      ", limbs(R * R % p))
print("R^3 mod p      ", limbs(R * R * R % p))
print("b = 3          ", mont(3))
bt = f2mul((3, 0), f2inv(xi))
print("b' = 3/xi      ", mont2(bt))
print("3b'            ", mont2(((3 * bt[0]) % p, (3 * bt[1]) % p)))
for j in (1, 2, 3):
    for k in range(1, 6):
        g = f2pow(xi, k * (p**j - 1) // 6)
        if j == 2:
            assert g[1] == 0
        print("gamma_%d,%d      " % (j, k), mont2(g))
print("NAF(6u+2), low digit first:", naf(6 * u + 2))
print("NAF(u), low digit first:", naf(u))

# GLV for G1: phi(x, y) = (beta x, y) equals [lambda] on G1.
beta = 0x59e26bcea0d48bacd4f263f1acdb5c4f5763473177fffffe
lam = 0xb3c4d79d41a917585bfc41088d8daaa78b17ea66b99c90dd
assert pow(beta, 3, p) == 1 and beta != 1 and pow(lam, 3, r) == 1 and lam != 1


def g1_add(P, Q):
    if P is None:
        return Q
    if Q is None:
        return P
    if P[0] == Q[0]:
        if (P[1] + Q[1]) % p == 0:
            return None
        s = 3 * P[0] * P[0] * pow(2 * P[1], -1, p) % p
    else:
        s = (Q[1] - P[1]) * pow(Q[0] - P[0], -1, p) % p
    x = (s * s - P[0] - Q[0]) % p
    return (x, (s * (P[0] - x) - P[1]) % p)


def g1_mul(P, k):
    acc = None
    for bit in bin(k)[2:]:
        acc = g1_add(acc, acc)
        if bit == "1":
            acc = g1_add(acc, P)
    return acc


assert g1_mul((1, 2), lam) == (beta, 2)  # phi(G) = [lambda] G
a1, b1 = 2 * u + 1, -(6 * u * u + 2 * u)  # v1
a2, b2 = 6 * u * u + 4 * u + 1, 2 * u + 1  # v2
assert (a1 + b1 * lam) % r == 0 and (a2 + b2 * lam) % r == 0
assert a1 * b2 - a2 * b1 == r
print("beta           ", mont(beta))
print("g1 = round(2^256 (2u+1) / r)      0x%x" % (((b2 << 256) + r // 2) // r))
print("g2 = round(2^256 (6u^2+2u) / r)   0x%x" % (((-b1 << 256) + r // 2) // r))
print("2u+1 0x%x, 6u^2+4u+1 0x%x, 6u^2+2u 0x%x" % (a1, a2, -b1))
