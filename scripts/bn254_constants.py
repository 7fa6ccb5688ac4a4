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
