<#
.SYNOPSIS
Writes src/MlpTools.Core/Numerics/GemmTiles.Generated.cs: the register-tiled micro-kernels of the matrix product.

.DESCRIPTION
Each kernel computes one tile of C, MR rows by one or two vectors, as a sum of outer products, with one
local per accumulator so that the JIT keeps the whole tile in registers. Written out by hand they would be
hundreds of near-identical lines; this script is the one place their pattern lives. Edit it, run it, and
commit both:

    dotnet pwsh tools/New-GemmTiles.ps1

tests/Pester/Tools.Tests.ps1 fails when the committed file differs from what the script writes.

.PARAMETER OutFile
Where to write. Default: src/MlpTools.Core/Numerics/GemmTiles.Generated.cs.
#>
[CmdletBinding()]
param(
    [string] $OutFile = (Join-Path $PSScriptRoot '../src/MlpTools.Core/Numerics/GemmTiles.Generated.cs')
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

# How many steps of p the main loop takes per pass.
$Unroll = 4

# The two families: the AVX-512 tiles (12 rows, 24 of the 32 registers hold the tile) and the portable
# Vector<T> tiles (6 rows, 12 of 16). Each also has shorter tiles for the last rows of C (Edges), used when that
# many rows are left over, so that a batch of 200 (or 100, or 1024) rows needs no rows computed twice.
$families = @(
    @{ Struct = 'Avx512Tiles'; MR = 12; Edges = @(8, 4); Vec = 'Vector512<T>'; Cref = 'Vector512&lt;T&gt;.Count'; Count = 'Vector512<T>.Count'
       Load = { param($p) "Vector512.Load($p)" }; Splat = { param($x) "Vector512.Create($x)" } }
    @{ Struct = 'VectorTiles'; MR = 6; Edges = @(4, 2); Vec = 'Vector<T>'; Cref = 'Vector&lt;T&gt;.Count'; Count = 'Vector<T>.Count'
       Load = { param($p) "Vector.Load($p)" }; Splat = { param($x) "new Vector<T>($x)" } }
)

$out = [System.Collections.Generic.List[string]]::new()
function Emit([string] $line = '') { $out.Add($line) }

# C's row i of the tile: c, c + ldc, c + 2 * ldc, ...
function RowOf([int] $i) {
    switch ($i) { 0 { 'c' } 1 { 'c + ldc' } default { "c + $i * ldc" } }
}

# The element A(i, p + u) read by one broadcast, for the packed form (a[p * aStride + i]) or the rows form
# (a[i * lda + p], with bases every third row and the rows between at +lda and +2 lda).
function AElement([bool] $rows, [int] $i, [int] $u, [bool] $unrolled) {
    if ($rows) {
        $base = if ($i -lt 3) { 'a' } else { "a$([math]::Floor($i / 3) * 3)" }
        $off = @('', 'lda', 'lda2')[$i % 3]
        if ($unrolled -and $u -gt 0) { $off = if ($off) { "$off + $u" } else { "$u" } }
        if (-not $off) { $off = '0' }
        return "$base[$off]"
    }
    if (-not $unrolled -or $u -eq 0) { return "a[$i]" }
    $stride = @('', 'aStride', 'aStride2', 'aStride3')[$u]
    return "a[$stride + $i]"
}

# One line per row of the tile, one statement per accumulator c{i}_{j}; $statement gets i, j and the address of
# C's element (i, j * V).
function TileLines([string] $indent, [int] $mr, [int[]] $cols, [scriptblock] $statement) {
    foreach ($i in 0..($mr - 1)) {
        $row = RowOf $i
        Emit ($indent + (($cols | ForEach-Object { & $statement $i $_ $(if ($_ -eq 0) { $row } else { "$row + v" }) }) -join ' '))
    }
}

function Kernel($f, [int] $mr, [int] $width, [bool] $rows) {
    $name = "Tile${mr}x$width" + $(if ($rows) { 'Rows' } else { '' })
    $aName = if ($rows) { 'lda' } else { 'aStride' }
    $form = if ($rows) { 'A read in place by rows, A(i, p) = a[i * lda + p]' } else { 'A(i, p) = a[p * aStride + i]' }
    $cols = 0..($width - 1)
    $acc = foreach ($i in 0..($mr - 1)) { foreach ($j in $cols) { "c${i}_$j" } }

    Emit "    /// <summary>The $mr x ${width}V tile (V = $($f.Cref)), $form.</summary>"
    Emit '    [MethodImpl(MethodImplOptions.AggressiveOptimization)]'
    Emit "    public static void $name(nint kc, T* a, nint $aName, T* b, nint bStride, T* c, nint ldc, bool load)"
    Emit '    {'
    Emit "        nint v = $($f.Count);"
    if ($rows) {
        Emit $(if ($mr -gt 3) { '        // Row i of the tile is row i of A: bases every third row, the rows between at +lda and +2 lda.' } else { '        // Row i of the tile is row i of A, at a + i lda.' })
        if ($mr -gt 2) { Emit '        nint lda2 = lda + lda;' }
        $bases = @(foreach ($r in 1..($mr - 1)) { if ($r % 3 -eq 0) { "a$r = a + $r * lda" } })
        if ($bases.Count -gt 0) { Emit "        T* $($bases -join ', ');" }
    }
    Emit "        $($f.Vec) $($acc -join ', ');"
    Emit '        if (load)'
    Emit '        {'
    TileLines '            ' $mr $cols { param($i, $j, $at) "c${i}_$j = $(& $f.Load $at);" }
    Emit '        }'
    Emit '        else'
    Emit '        {'
    TileLines '            ' $mr $cols { param($i, $j, $at) "c${i}_$j = $($f.Vec).Zero;" }
    Emit '        }'

    $bVars = ($cols | ForEach-Object { "b$_" }) -join ', '
    # Moves A on by some steps of p: every row base in the rows form, one stride per step in the packed form.
    function AdvanceA([int] $steps) {
        if (-not $rows) { return $(if ($steps -eq 1) { 'a += aStride;' } else { "a += $steps * aStride;" }) }
        $pointers = @('a') + @($bases | ForEach-Object { ($_ -split ' ')[0] })
        ($pointers | ForEach-Object { if ($steps -eq 1) { "$_++;" } else { "$_ += $steps;" } }) -join ' '
    }
    # One step of p: load the row of B, then one broadcast of A(i, p) per row of the tile.
    function Step([int] $u, [bool] $unrolled, [string] $indent) {
        $loads = foreach ($j in $cols) {
            $k = $u * $width + $j
            $p = if (-not $unrolled) { if ($j -eq 0) { 'b' } else { 'b + v' } } elseif ($k -eq 0) { 'b' } elseif ($k -eq 1) { 'b + v' } else { "b + $k * v" }
            "b$j = $(& $f.Load $p);"
        }
        Emit "$indent$($loads -join ' ')"
        foreach ($i in 0..($mr - 1)) {
            $fmas = ($cols | ForEach-Object { "c${i}_$_ = MulAdd(s, b$_, c${i}_$_);" }) -join ' '
            Emit "${indent}s = $(& $f.Splat (AElement $rows $i $u $unrolled)); $fmas"
        }
    }

    Emit "        $($f.Vec) $bVars, s;"
    Emit "        // $Unroll steps of p per pass while B is a packed strip (its stride is the tile's width): every address is"
    Emit '        // then a register plus a constant, and the bookkeeping is paid once per pass. Each accumulator still adds'
    Emit '        // its products in the order p = 0, 1, 2, ..., so the result does not depend on the unrolling.'
    Emit "        if (bStride == $(if ($width -eq 1) { 'v' } else { "$width * v" }))"
    Emit '        {'
    if (-not $rows) { Emit '            nint aStride2 = aStride + aStride, aStride3 = aStride2 + aStride;' }
    Emit "            for (; kc >= $Unroll; kc -= $Unroll)"
    Emit '            {'
    foreach ($u in 0..($Unroll - 1)) { Step $u $true '                ' }
    Emit ('                ' + (AdvanceA $Unroll))
    Emit "                b += $($Unroll * $width) * v;"
    Emit '            }'
    Emit '        }'
    Emit '        for (; kc > 0; kc--)'
    Emit '        {'
    Step 0 $false '            '
    Emit ('            ' + (AdvanceA 1))
    Emit '            b += bStride;'
    Emit '        }'
    TileLines '        ' $mr $cols { param($i, $j, $at) "c${i}_$j.Store($at);" }
    Emit '    }'
}

Emit '// <auto-generated>'
Emit '// Written by tools/New-GemmTiles.ps1; edit the script and run it again (dotnet pwsh tools/New-GemmTiles.ps1).'
Emit '// </auto-generated>'
Emit '#nullable enable'
Emit ''
Emit 'using System.Numerics;'
Emit 'using System.Runtime.CompilerServices;'
Emit 'using System.Runtime.Intrinsics;'
Emit ''
Emit 'namespace MlpTools.Core.Numerics;'
foreach ($f in $families) {
    Emit ''
    Emit "/// <summary>The micro-kernels of <see cref=`"$($f.Struct){T}`"/>: MR rows and the edge rows, each width and form of A.</summary>"
    Emit "internal readonly unsafe partial struct $($f.Struct)<T>"
    Emit '    where T : unmanaged'
    Emit '{'
    $mr = $f.MR
    Emit "    public static int MR => $mr;"
    Emit ''
    Emit "    public static void Wide(nint kc, T* a, nint aStride, T* b, nint bStride, T* c, nint ldc, bool load) => Tile${mr}x2(kc, a, aStride, b, bStride, c, ldc, load);"
    Emit ''
    Emit "    public static void Narrow(nint kc, T* a, nint aStride, T* b, nint bStride, T* c, nint ldc, bool load) => Tile${mr}x1(kc, a, aStride, b, bStride, c, ldc, load);"
    Emit ''
    Emit "    public static void WideRows(nint kc, T* a, nint lda, T* b, nint bStride, T* c, nint ldc, bool load) => Tile${mr}x2Rows(kc, a, lda, b, bStride, c, ldc, load);"
    Emit ''
    Emit "    public static void NarrowRows(nint kc, T* a, nint lda, T* b, nint bStride, T* c, nint ldc, bool load) => Tile${mr}x1Rows(kc, a, lda, b, bStride, c, ldc, load);"
    Emit ''
    $first = $true
    foreach ($mr in @($f.MR) + $f.Edges) {
        foreach ($width in 2, 1) {
            foreach ($rows in $false, $true) {
                if (-not $first) { Emit '' }
                $first = $false
                Kernel $f $mr $width $rows
            }
        }
    }
    Emit ''
    Emit "    /// <summary>A tile of $(($f.Edges | ForEach-Object { "$_" }) -join ' or ') rows, for the last rows of C; false for any other count.</summary>"
    Emit '    [MethodImpl(MethodImplOptions.AggressiveOptimization)]'
    Emit '    public static bool EdgeTile(int rows, bool wide, bool rowsForm, nint kc, T* a, nint aStride, T* b, nint bStride, T* c, nint ldc, bool load)'
    Emit '    {'
    Emit '        switch (rows)'
    Emit '        {'
    foreach ($e in $f.Edges) {
        Emit "            case ${e}:"
        Emit "                if (rowsForm && wide) Tile${e}x2Rows(kc, a, aStride, b, bStride, c, ldc, load);"
        Emit "                else if (rowsForm) Tile${e}x1Rows(kc, a, aStride, b, bStride, c, ldc, load);"
        Emit "                else if (wide) Tile${e}x2(kc, a, aStride, b, bStride, c, ldc, load);"
        Emit "                else Tile${e}x1(kc, a, aStride, b, bStride, c, ldc, load);"
        Emit '                return true;'
    }
    Emit '            default:'
    Emit '                return false;'
    Emit '        }'
    Emit '    }'
    Emit ''
    Emit "    /// <summary>Whether <see cref=`"EdgeTile`"/> has a tile of <paramref name=`"rows`"/> rows.</summary>"
    Emit "    public static bool HasEdgeTile(int rows) => $(($f.Edges | ForEach-Object { "rows == $_" }) -join ' || ');"
    Emit '}'
}

$text = ($out -join "`n") + "`n"
$path = [System.IO.Path]::GetFullPath($OutFile)
[System.IO.File]::WriteAllText($path, $text, [System.Text.UTF8Encoding]::new($false))
Write-Verbose "Wrote $path"
