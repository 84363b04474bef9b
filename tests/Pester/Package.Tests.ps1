BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:ModuleDir = Split-Path -Parent $env:MLPTOOLS_MODULE_PATH
    $script:Manifest = Import-PowerShellDataFile -LiteralPath $env:MLPTOOLS_MODULE_PATH
    # build.ps1 -Task Package's own step, on the module these tests run against, into a folder of the test's.
    $script:Repository = Join-Path $TestDrive 'repository'
    $script:Package = New-MlpPackage -ModuleDir $ModuleDir -Destination $Repository
    $script:Content = Get-MlpPackageContent -Path $Package.FullName
    $script:User = New-IsolatedUserEnvironment -Path (Join-Path $TestDrive 'user')

    function Get-Nuspec([string] $Path) {
        $zip = [IO.Compression.ZipFile]::OpenRead($Path)
        try {
            $reader = [IO.StreamReader]::new(($zip.Entries | Where-Object FullName -EQ 'MlpTools.nuspec').Open())
            try { ([xml]$reader.ReadToEnd()).package.metadata } finally { $reader.Dispose() }
        }
        finally { $zip.Dispose() }
    }
}

Describe 'The MlpTools package (build.ps1 -Task Package)' {
    It 'is named after the module and its version, with the manifest''s description, project, licence, tags and release notes' {
        $Package.Name | Should -Be "MlpTools.$($Manifest.ModuleVersion).nupkg"
        $psData = $Manifest.PrivateData.PSData
        $nuspec = Get-Nuspec $Package.FullName
        $nuspec.id | Should -Be 'MlpTools'
        $nuspec.version | Should -Be $Manifest.ModuleVersion
        $nuspec.description | Should -Be $Manifest.Description
        $nuspec.projectUrl | Should -Be $psData.ProjectUri
        $nuspec.licenseUrl | Should -Be $psData.LicenseUri
        $nuspec.releaseNotes | Should -Match '^0\.1\.0, the first release'
        @($nuspec.tags -split ' ') | Should -Be (@('PSModule') + $psData.Tags)
        $psData.Tags | Should -Contain 'PSEdition_Core'
        $Manifest.CompatiblePSEditions | Should -Be 'Core'
        $psData.LicenseUri | Should -BeLike "$($psData.ProjectUri)/*/LICENSE"
    }

    It 'carries the native libraries of every platform in NativeRuntimes, and is tagged with each of those systems' {
        $tags = $Manifest.PrivateData.PSData.Tags
        $Manifest.PrivateData.NativeRuntimes.Count | Should -BeGreaterThan 3
        foreach ($runtime in $Manifest.PrivateData.NativeRuntimes) {
            $system = ($runtime -split '-')[0]
            $extension = @{ linux = '.so'; osx = '.dylib'; win = '.dll' }[$system]
            foreach ($library in 'libSkiaSharp', 'libHarfBuzzSharp') {
                # The module's own layout: the platform's folder, or the system's for macOS's universal libraries.
                $found = @($runtime, $system | Where-Object { $Content.Native[$_] -contains "$library$extension" })
                $found | Should -Not -BeNullOrEmpty -Because "the package must carry $library$extension for $runtime"
            }
            $tags | Should -Contain @{ linux = 'Linux'; osx = 'MacOS'; win = 'Windows' }[$system]
        }
        $Content.Native.Keys | Should -Be @('linux-arm64', 'linux-x64', 'osx', 'win-x64')
    }

    It 'holds exactly the built module''s files, the MIT licence and the font''s licence among them, and nothing of the build' {
        $built = @(Get-ChildItem -LiteralPath $ModuleDir -Recurse -File |
            ForEach-Object { [IO.Path]::GetRelativePath($ModuleDir, $_.FullName).Replace('\', '/') } | Sort-Object)
        $packed = @($Content.Files.Path | Where-Object { $_ -notmatch '^(_rels/|package/|\[Content_Types\]\.xml$|MlpTools\.nuspec$)' } | Sort-Object)
        $packed | Should -Be $built
        $packed | Should -Contain 'LICENSE'
        $packed | Should -Contain 'fonts/LICENSE-DejaVu.txt'
        Get-Content -Raw -LiteralPath (Join-Path $ModuleDir 'LICENSE') | Should -Match '^MIT License'
        $Package.Length | Should -BeLessThan 40MB
    }

    It 'fails, leaving no package, when Publish-PSResource finds the manifest wanting' {
        $broken = Join-Path $TestDrive 'broken/MlpTools'
        $null = New-Item -ItemType Directory -Path $broken -Force
        Set-Content -LiteralPath (Join-Path $broken 'MlpTools.psd1') -Value "@{ ModuleVersion = '0.1.0'; Author = 'x'; GUID = '$([guid]::NewGuid())' }"
        { New-MlpPackage -ModuleDir $broken -Destination (Join-Path $TestDrive 'none') } | Should -Throw '*Publish-PSResource failed*'
        Get-ChildItem -LiteralPath (Join-Path $TestDrive 'none') | Should -BeNullOrEmpty
    }

    It 'installs with Install-PSResource from its folder as a repository; a fresh pwsh imports it by name, trains Digits and draws a plot' {
        if ($IsWindows) {
            Set-ItResult -Skipped -Because 'on Windows, CurrentUser is the Documents folder, which no environment variable moves: the test would install into the real user''s modules'
            return
        }
        $install = Invoke-InFreshPwsh -NoModule -Environment $User {
            param($repository)
            Register-PSResourceRepository -Name MlpToolsTest -Uri $repository -Trusted
            Install-PSResource MlpTools -Repository MlpToolsTest -TrustRepository -Scope CurrentUser
            (Get-InstalledPSResource MlpTools -Scope CurrentUser).InstalledLocation
        } -ArgumentList $Repository
        $install.ExitCode | Should -Be 0 -Because $install.StdErr
        # Everything went to the throwaway user's folders: the repository list and the module.
        Get-Content -Raw -LiteralPath (Join-Path $User.XDG_DATA_HOME 'PSResourceGet/PSResourceRepository.xml') | Should -Match 'Name="MlpToolsTest"'
        $modules = Join-Path $User.HOME '.local/share/powershell/Modules'
        $install.Output | Should -Be $modules
        Test-Path -LiteralPath (Join-Path $modules "MlpTools/$($Manifest.ModuleVersion)/MlpTools.psd1") | Should -BeTrue

        $png = Join-Path $TestDrive 'installed.png'
        $environment = $User + @{ PSModulePath = $modules }
        $run = Invoke-InFreshPwsh -NoModule -Environment $environment {
            param($png)
            Import-Module MlpTools
            (Get-Module MlpTools).ModuleBase
            $train, $test = Import-Dataset -Name Digits | Split-Dataset -TestFraction 0.25 -Stratify -Seed 1
            $net = $train | New-Mlp -HiddenSize 32 -Seed 1 | Invoke-Training -Epochs 5 -Seed 1
            (Test-Mlp -Network $net -Dataset $test).Accuracy
            $net | Export-MlpPlot -Kind History -Path $png
            if ($IsLinux) {
                Get-Content "/proc/$PID/maps" | Where-Object { $_ -match 'libSkiaSharp\.so' } | ForEach-Object { ($_ -split '\s+', 6)[5] } | Sort-Object -Unique
            }
        } -ArgumentList $png
        $run.ExitCode | Should -Be 0 -Because $run.StdErr
        $base = Join-Path $modules "MlpTools/$($Manifest.ModuleVersion)"
        $run.Output[0] | Should -Be $base
        $run.Output[1] | Should -BeGreaterThan 0.9
        [IO.File]::ReadAllBytes($png)[1..3] | Should -Be ([byte[]][char[]]'PNG')
        $platform = "linux-$([Runtime.InteropServices.RuntimeInformation]::OSArchitecture.ToString().ToLowerInvariant())"
        if ($IsLinux) { $run.Output[2] | Should -Be (Join-Path $base "runtimes/$platform/native/libSkiaSharp.so") }
    }
}
